/**
 * A typed event emitter, small enough for the browser bundle (no Node `events`).
 */

/** Listener of one event. */
export type Listener< T > = ( payload: T ) => void;

export class Emitter< Events extends object > {
	#listeners = new Map< keyof Events, Set< Listener< never > > >();

	/**
	 * Subscribes to `event`.
	 * @param event    Event name.
	 * @param listener Called with the payload each time the event is emitted.
	 * @return Unsubscribe.
	 */
	on< K extends keyof Events >(
		event: K,
		listener: Listener< Events[ K ] >
	): () => void {
		let set = this.#listeners.get( event );
		if ( ! set ) {
			set = new Set();
			this.#listeners.set( event, set );
		}
		set.add( listener as Listener< never > );
		return () => {
			set.delete( listener as Listener< never > );
		};
	}

	protected emit< K extends keyof Events >(
		event: K,
		payload: Events[ K ]
	): void {
		for ( const listener of [
			...( this.#listeners.get( event ) ?? [] ),
		] ) {
			try {
				( listener as Listener< Events[ K ] > )( payload );
			} catch ( error ) {
				// One broken listener (a UI bug) must not stop the room's own handling.
				// eslint-disable-next-line no-console
				console.error( error );
			}
		}
	}

	protected removeAllListeners(): void {
		this.#listeners.clear();
	}
}
