import {
	DEFAULT_SETTINGS,
	SECRET_SETTING_KEYS,
	type SettingsView,
} from '@bkx-video/contracts';

import reducer, { initialState } from '../reducer';
import type { Action, State } from '../types';

/**
 * Freezes an object graph so a reducer that mutates its input throws.
 * @param value
 */
export function deepFreeze< T >( value: T ): T {
	if ( value && typeof value === 'object' && ! Object.isFrozen( value ) ) {
		Object.freeze( value );
		for ( const child of Object.values( value ) ) {
			deepFreeze( child );
		}
	}
	return value;
}

export function makeView(): SettingsView {
	const settings: Record< string, unknown > = { ...DEFAULT_SETTINGS };
	for ( const key of SECRET_SETTING_KEYS ) {
		delete settings[ key ];
	}
	return {
		settings: settings as SettingsView[ 'settings' ],
		secrets: Object.fromEntries(
			SECRET_SETTING_KEYS.map( ( key ) => [
				key,
				key === 'zoom_client_secret'
					? { is_set: true, tail: 'abcd' }
					: { is_set: false, tail: '' },
			] )
		) as SettingsView[ 'secrets' ],
	};
}

/**
 * Runs actions through the reducer, freezing every state it is given.
 * @param actions
 * @param from
 */
export function reduce( actions: Action[], from: State = initialState ): State {
	return actions.reduce(
		( state, action ) =>
			deepFreeze( reducer( deepFreeze( state ), action ) ),
		from
	);
}

export function loadedState(): State {
	return reduce( [ { type: 'RECEIVE_SETTINGS', view: makeView() } ] );
}
