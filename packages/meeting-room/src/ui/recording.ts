/**
 * Recording in the room (issue 6): the host's Record / Stop recording button, the consent dialog
 * everyone gets, the badge everyone sees (on, or waiting for consent), and for the host who records
 * the recorder itself (recorder.ts) with its upload (recording-upload.ts) and a status line.
 *
 * The server decides when media may be recorded (`recording-started`: everyone in the room
 * consented); this side records only then, pauses on `recording-pending`, and finishes the upload
 * on `recording-stopped`, on Leave, or (best effort) when the page goes away.
 */

/**
 * Internal dependencies
 */
import { sprintf } from '../i18n';
import { RoomRecorder, recorderType } from '../recorder';
import { RecordingUploader, type UploadStatus } from '../recording-upload';
import type { UiContext } from './context';
import { button, el, setLabel, uid } from './dom';

/** Rooms whose host was already asked to record at once (`auto_recording`), once per page. */
const autoStarted = new WeakSet< object >();

const mb = ( bytes: number ) => ( bytes / 1024 / 1024 ).toFixed( 1 );

/**
 * @param ctx   UI context.
 * @param badge The room bar's "Recording" badge (shown while on, or while waiting for consent).
 */
export function recordingControls(
	ctx: UiContext,
	badge: HTMLElement
): {
	button: HTMLButtonElement;
	status: HTMLElement;
	dialog: HTMLElement;
	update: ( topic: string ) => void;
	destroy: () => void;
} {
	const { client, __ } = ctx;
	const mimeType = recorderType();
	const allowed =
		client.isHost && !! client.room?.recording_enabled && mimeType !== null;

	// ── The host's button ──────────────────────────────────────────────────
	// This page asked for the take (a take of this host that it did not ask for is an earlier page's).
	let requested = false;
	const toggle = button(
		__( 'Record', 'bookingx-video-consultation' ),
		'control',
		() => {
			if ( client.recordingTake ) {
				client.record( 'stop' );
			} else if ( client.record( 'start' ) ) {
				requested = true;
			}
		}
	);
	toggle.hidden = ! allowed;

	const status = el( 'span', 'recording-status' );
	status.setAttribute( 'role', 'status' );
	status.hidden = true;

	// ── The consent dialog (everyone) ──────────────────────────────────────
	const dialog = el( 'div', 'consent' );
	dialog.hidden = true;
	dialog.setAttribute( 'role', 'dialog' );
	dialog.setAttribute( 'aria-modal', 'true' );
	Object.assign( dialog.style, {
		position: 'fixed',
		inset: '0',
		display: 'grid',
		placeItems: 'center',
		background: 'rgb(0 0 0 / 55%)',
		zIndex: '100000',
	} );
	const box = el( 'div', 'consent-box' );
	Object.assign( box.style, {
		background: 'var(--bkx-room-surface, #fff)',
		color: 'var(--bkx-room-text, #111)',
		maxInlineSize: '28rem',
		padding: '1.5rem',
		borderRadius: '8px',
	} );
	const title = el(
		'h3',
		'consent-title',
		__(
			'The host wants to record this consultation',
			'bookingx-video-consultation'
		)
	);
	title.id = uid( 'consent-title' );
	const text = el(
		'p',
		'consent-text',
		__(
			'Recording starts only when everyone here agrees, and everyone sees when it is on. The recording is kept privately by the provider. If you do not want to be recorded, leave the consultation.',
			'bookingx-video-consultation'
		)
	);
	text.id = uid( 'consent-text' );
	dialog.setAttribute( 'aria-labelledby', title.id );
	dialog.setAttribute( 'aria-describedby', text.id );
	const allow = button(
		__( 'Allow recording', 'bookingx-video-consultation' ),
		'primary',
		() => client.consentToRecording()
	);
	const leave = button(
		__( 'Leave', 'bookingx-video-consultation' ),
		'danger',
		() => client.leave()
	);
	const actions = el( 'div', 'consent-actions' );
	Object.assign( actions.style, {
		display: 'flex',
		gap: '.75rem',
		marginBlockStart: '1rem',
	} );
	actions.append( allow, leave );
	box.append( title, text, actions );
	dialog.append( box );
	// Focus stays in the dialog: Tab and Shift+Tab go round its two buttons; Escape does not close it
	// (the question needs an answer).
	dialog.addEventListener( 'keydown', ( event ) => {
		if ( event.key === 'Tab' ) {
			event.preventDefault();
			( dialog.ownerDocument.activeElement === allow
				? leave
				: allow
			).focus();
		} else if ( event.key === 'Escape' ) {
			event.preventDefault();
		}
	} );
	let returnFocus: HTMLElement | null = null;

	// ── The recorder (the host who started the take) ───────────────────────
	let recorder: RoomRecorder | null = null;
	let uploader: RecordingUploader | null = null;
	let take: string | null = null;
	let orphaned: string | null = null;
	let limitTimer: ReturnType< typeof setTimeout > | undefined;

	const streams = () => [
		client.local.stream,
		...[ ...client.peers.values() ].map( ( p ) => p.stream ),
	];

	const showUpload = ( s: UploadStatus ) => {
		status.hidden = false;
		let line: string;
		switch ( s.state ) {
			case 'opening':
			case 'uploading':
				line = sprintf(
					/* translators: 1: parts uploaded, 2: parts recorded, 3: megabytes uploaded. */
					__(
						'Recording: %1$d of %2$d parts saved (%3$s MB)',
						'bookingx-video-consultation'
					),
					s.sent,
					s.made,
					mb( s.bytes )
				);
				break;
			case 'finishing':
				line = __(
					'Saving the recording…',
					'bookingx-video-consultation'
				);
				break;
			case 'done':
				line = __(
					'Recording saved. It appears in your recordings once it is processed.',
					'bookingx-video-consultation'
				);
				break;
			default:
				line = __(
					'The recording could not be uploaded. Session data has been saved.',
					'bookingx-video-consultation'
				);
		}
		if ( status.textContent !== line ) {
			status.textContent = line;
		}
		status.dataset.state = s.state;
		if ( s.state === 'failed' && take ) {
			// Nothing more can be kept: end the take, so nobody thinks they are still recorded.
			client.record( 'stop' );
		}
	};

	function startRecorder( id: string ): void {
		take = id;
		requested = false;
		const up = new RecordingUploader( {
			signalingUrl: client.ticket!.signaling_url,
			take: id,
			mimeType: mimeType!,
			roomToken: async () => ( await client.freshTicket() ).token,
			onStatus: showUpload,
			onLimit: () => client.record( 'stop' ),
		} );
		uploader = up;
		const rec = new RoomRecorder( {
			streams,
			mimeType: mimeType!,
			onChunk: ( blob ) => up.push( blob ),
			onStopped: () => {
				void up.finish().then( ( s ) => {
					showUpload( s );
					ctx.announce( status.textContent ?? '' );
				} );
			},
			onError: () => client.record( 'stop' ),
		} );
		recorder = rec;
		try {
			rec.start();
		} catch {
			recorder = null;
			client.record( 'stop' );
			return;
		}
		// The server's bound on length (the upload token expires after it).
		limitTimer = setTimeout(
			() => client.record( 'stop' ),
			4 * 3600 * 1000 - 60_000
		);
	}

	function stopRecorder(): void {
		clearTimeout( limitTimer );
		recorder?.stop();
		recorder = null;
		take = null;
	}

	const onPageHide = () => {
		recorder?.stop();
		uploader?.flushOnPageHide();
	};
	globalThis.addEventListener?.( 'pagehide', onPageHide );

	const update = ( topic: string ) => {
		if ( topic === 'peers' || topic === 'local' ) {
			recorder?.sync();
			return;
		}
		if ( topic !== 'recording' && topic !== 'phase' ) {
			return;
		}
		const current = client.recordingTake;
		// Badge: on, or waiting for consent (nothing recorded then), for everyone.
		badge.hidden = ! current;
		const badgeText =
			current?.state === 'on'
				? __( 'Recording', 'bookingx-video-consultation' )
				: __(
						'Recording paused: waiting for consent',
						'bookingx-video-consultation'
					);
		if ( current && badge.textContent !== badgeText ) {
			badge.textContent = badgeText;
		}
		setLabel(
			toggle,
			current
				? __( 'Stop recording', 'bookingx-video-consultation' )
				: __( 'Record', 'bookingx-video-consultation' )
		);
		toggle.toggleAttribute( 'data-active', !! current );

		// Everyone: the consent question.
		const ask = !! client.consentRequest;
		if ( ask && dialog.hidden ) {
			returnFocus = dialog.ownerDocument
				.activeElement as HTMLElement | null;
			dialog.hidden = false;
			allow.focus();
		} else if ( ! ask && ! dialog.hidden ) {
			dialog.hidden = true;
			returnFocus?.focus?.();
		}

		// The host who started it: record while on, pause while pending, finish when stopped.
		const mine = current && current.by === client.self?.id ? current : null;
		if ( mine && ! recorder && mine.id !== take ) {
			if ( requested ) {
				if ( mine.state === 'on' ) {
					startRecorder( mine.id );
				}
			} else if ( orphaned !== mine.id ) {
				// Started from an earlier page of this host (a reload): that recorder is gone; its
				// upload is finished by the server. Stop the take; the host may start a new one.
				orphaned = mine.id;
				client.record( 'stop' );
			}
		} else if ( mine && recorder && mine.id === take ) {
			if ( mine.state === 'on' ) {
				recorder.resume();
			} else {
				recorder.pause();
			}
		} else if ( recorder && ( ! current || current.id !== take ) ) {
			stopRecorder();
		}
	};

	// `auto_recording`: the host is asked at once (everyone's consent is still needed).
	if (
		allowed &&
		client.room?.auto_recording &&
		! client.recordingTake &&
		! autoStarted.has( client )
	) {
		autoStarted.add( client );
		if ( client.record( 'start' ) ) {
			requested = true;
		}
	}
	update( 'recording' );

	return {
		button: toggle,
		status,
		dialog,
		update,
		destroy() {
			globalThis.removeEventListener?.( 'pagehide', onPageHide );
			// Leaving the room (or the room ended): the last chunk and the finish go out.
			stopRecorder();
		},
	};
}
