/**
 * The room's recording as this person sees it (contracts/room.ts `recording-*`): whether a take is
 * on or waiting for consent, and whether this person was asked and has not answered. A pure step
 * per server message, so the client keeps three fields and tests need no socket.
 */

/**
 * Internal dependencies
 */
import type { ServerMessage } from './protocol';

export interface RecordingTake {
	/** The take's id (consents and the upload name it). */
	id: string;
	/** Peer id of the host who started it. */
	by: string;
	/** `on`: everyone consented, media is recorded; `pending`: waiting for `waiting` to consent. */
	state: 'on' | 'pending';
	waiting: string[];
}

export interface RecordingView {
	/** Media is being recorded (the badge). */
	recording: boolean;
	take: RecordingTake | null;
	/** A take this person was asked to consent to and has not answered (the dialog). */
	consentRequest: string | null;
}

export const NO_RECORDING: RecordingView = {
	recording: false,
	take: null,
	consentRequest: null,
};

type RecordingMessage = Extract<
	ServerMessage,
	{
		type:
			| 'recording-consent-requested'
			| 'recording-pending'
			| 'recording-started'
			| 'recording-stopped';
	}
>;

/**
 * Whether a server message is about the recording.
 * @param m A server message.
 */
export function isRecordingMessage( m: ServerMessage ): m is RecordingMessage {
	return (
		m.type === 'recording-consent-requested' ||
		m.type === 'recording-pending' ||
		m.type === 'recording-started' ||
		m.type === 'recording-stopped'
	);
}

/**
 * The view after a recording message.
 * @param view Current view.
 * @param m    The message.
 */
export function nextRecording(
	view: RecordingView,
	m: RecordingMessage
): RecordingView {
	switch ( m.type ) {
		case 'recording-consent-requested':
			return {
				...view,
				take: view.take ?? {
					id: m.take,
					by: m.by,
					state: 'pending',
					waiting: [],
				},
				consentRequest: m.take,
			};
		case 'recording-pending':
			return {
				recording: false,
				take: {
					id: m.take,
					by: m.by,
					state: 'pending',
					waiting: m.waiting,
				},
				consentRequest: view.consentRequest === m.take ? m.take : null,
			};
		case 'recording-started':
			return {
				recording: true,
				take: {
					id: m.take ?? view.take?.id ?? '',
					by: m.by,
					state: 'on',
					waiting: [],
				},
				// Everyone consented, this person included.
				consentRequest: null,
			};
		case 'recording-stopped':
			return NO_RECORDING;
	}
}
