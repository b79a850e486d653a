/**
 * Browser effects in the settings panel, offered only where the browser has them (feature
 * detection on the live tracks, never by browser name): noise suppression on the microphone, and
 * background blur on the camera (Chrome exposes `backgroundBlur` where the system provides it).
 */

/**
 * Internal dependencies
 */
import type { UiContext } from './context';
import { el, uid } from './dom';

type EffectKey = 'noiseSuppression' | 'backgroundBlur';

/**
 * Whether a track can switch `key` on and off: its capabilities list both values.
 * @param track The live track, or null.
 * @param key   The constraint.
 */
export function canToggle(
	track: MediaStreamTrack | null,
	key: EffectKey
): boolean {
	const caps = track?.getCapabilities?.() as
		Record< string, unknown > | undefined;
	const values = caps?.[ key ];
	return (
		Array.isArray( values ) &&
		values.includes( true ) &&
		values.includes( false )
	);
}

/**
 * Whether the effect is on now.
 * @param track The live track.
 * @param key   The constraint.
 */
export function isOn( track: MediaStreamTrack, key: EffectKey ): boolean {
	return Boolean(
		( track.getSettings() as Record< string, unknown > )[ key ]
	);
}

/**
 * Checkboxes for the effects the current tracks support; `refresh()` after a device switch.
 * @param ctx UI context.
 */
export function effectToggles( ctx: UiContext ): {
	root: HTMLElement;
	refresh: () => void;
} {
	const { client, __ } = ctx;
	const root = el( 'div', 'effects' );
	const toggle = (
		label: string,
		key: EffectKey,
		track: () => MediaStreamTrack | null
	) => {
		const field = el( 'div', 'field' );
		const input = el( 'input', 'checkbox' );
		input.type = 'checkbox';
		input.id = uid( 'effect' );
		const text = el( 'label', 'field-label', label );
		text.htmlFor = input.id;
		input.addEventListener( 'change', () => {
			const t = track();
			if ( ! t ) {
				return;
			}
			const wanted = input.checked;
			t.applyConstraints( {
				...t.getConstraints(),
				[ key ]: wanted,
			} ).catch( () => {
				input.checked = ! wanted;
				ctx.announce(
					__(
						'Your browser could not change this setting.',
						'bookingx-video-consultation'
					)
				);
			} );
		} );
		field.append( input, text );
		root.append( field );
		return () => {
			const t = track();
			field.hidden = ! canToggle( t, key );
			if ( t && ! field.hidden ) {
				input.checked = isOn( t, key );
			}
		};
	};
	const refreshers = [
		toggle(
			__( 'Reduce background noise', 'bookingx-video-consultation' ),
			'noiseSuppression',
			() => client.local.audioTrack
		),
		toggle(
			__( 'Blur my background', 'bookingx-video-consultation' ),
			'backgroundBlur',
			() => client.local.cameraTrack
		),
	];
	const refresh = () => refreshers.forEach( ( r ) => r() );
	refresh();
	return { root, refresh };
}
