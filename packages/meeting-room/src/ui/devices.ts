/**
 * Camera, microphone and speaker pickers (preflight and the in-room settings panel).
 */

/**
 * Internal dependencies
 */
import { sprintf } from '../i18n';
import { listDevices } from '../preflight';
import type { UiContext } from './context';
import { el, uid } from './dom';

/** Whether the browser can route audio to a chosen speaker. */
export function canChooseSpeaker(): boolean {
	return (
		typeof HTMLMediaElement !== 'undefined' &&
		'setSinkId' in HTMLMediaElement.prototype
	);
}

/**
 * The three pickers; each hides itself while it has nothing to choose from.
 * @param ctx UI context.
 */
export function devicePickers( ctx: UiContext ): {
	root: HTMLElement;
	refresh: () => Promise< void >;
	destroy: () => void;
} {
	const { client, __ } = ctx;
	const root = el( 'div', 'devices' );
	const picker = ( label: string, onPick: ( id: string ) => void ) => {
		const field = el( 'div', 'field' );
		const select = el( 'select', 'select' );
		select.id = uid( 'device' );
		const text = el( 'label', 'field-label', label );
		text.htmlFor = select.id;
		select.addEventListener( 'change', () => onPick( select.value ) );
		field.append( text, select );
		field.hidden = true;
		root.append( field );
		return { field, select };
	};
	const camera = picker(
		__( 'Camera', 'bookingx-video-consultation' ),
		( id ) => {
			void client.switchDevice( 'video', id );
		}
	);
	const microphone = picker(
		__( 'Microphone', 'bookingx-video-consultation' ),
		( id ) => {
			void client.switchDevice( 'audio', id );
		}
	);
	const speaker = picker(
		__( 'Speaker', 'bookingx-video-consultation' ),
		( id ) => client.setAudioOutput( id )
	);

	const fill = (
		target: { field: HTMLElement; select: HTMLSelectElement },
		devices: MediaDeviceInfo[],
		current: string | undefined,
		fallback: string
	) => {
		target.select.replaceChildren(
			...devices.map( ( device, i ) => {
				const option = document.createElement( 'option' );
				option.value = device.deviceId;
				option.textContent = device.label || sprintf( fallback, i + 1 );
				option.selected = device.deviceId === current;
				return option;
			} )
		);
		target.field.hidden = devices.length === 0;
	};

	const refresh = async () => {
		const lists = await listDevices(
			globalThis.navigator?.mediaDevices ?? null,
			canChooseSpeaker()
		);
		const { local } = client;
		fill(
			camera,
			lists.cameras,
			local.videoInput,
			/* translators: %d: number of the camera in the list, shown when the browser gives no name. */
			__( 'Camera %d', 'bookingx-video-consultation' )
		);
		fill(
			microphone,
			lists.microphones,
			local.audioInput,
			/* translators: %d: number of the microphone in the list, shown when the browser gives no name. */
			__( 'Microphone %d', 'bookingx-video-consultation' )
		);
		fill(
			speaker,
			lists.speakers,
			local.audioOutput,
			/* translators: %d: number of the speaker in the list, shown when the browser gives no name. */
			__( 'Speaker %d', 'bookingx-video-consultation' )
		);
	};
	const onDeviceChange = () => void refresh();
	globalThis.navigator?.mediaDevices?.addEventListener?.(
		'devicechange',
		onDeviceChange
	);
	return {
		root,
		refresh,
		destroy: () =>
			globalThis.navigator?.mediaDevices?.removeEventListener?.(
				'devicechange',
				onDeviceChange
			),
	};
}
