/**
 * Screen 1, before joining: browser check, camera preview, device pickers, microphone level,
 * server and network checks, the meeting password when required, and Join.
 * Also shown while the first connection is being made (`connecting`).
 */

/**
 * Internal dependencies
 */
import { sprintf } from '../i18n';
import type { NetworkPath } from '../preflight';
import {
	browserSupportProblem,
	probeNetworkPath,
	startLevelMeter,
} from '../preflight';
import type { RoomTopic } from '../types';
import type { UiContext, View } from './context';
import { devicePickers } from './devices';
import {
	bindStream,
	button,
	el,
	setIcon,
	setLabel,
	uid,
	videoElement,
} from './dom';
import { problemMessage } from './messages';

/**
 * @param ctx UI context.
 */
export function preflightView( ctx: UiContext ): View {
	const { client, __ } = ctx;
	const room = client.room;
	const root = el( 'section', 'screen preflight' );
	const heading = el( 'h2', 'heading', room?.title ?? '' );
	heading.tabIndex = -1;
	root.setAttribute( 'aria-labelledby', ( heading.id = uid( 'heading' ) ) );
	const who = el( 'p', 'who' );
	who.textContent = sprintf(
		/* translators: %s: the name others will see in the consultation. */
		__( 'You will join as %s.', 'bookingx-video-consultation' ),
		room?.display_name ?? ''
	);

	// Preview with pre-join mute and camera toggles.
	const previewBox = el( 'div', 'preview' );
	const video = videoElement( true );
	video.classList.add( 'bkx-room__mirror' );
	const cameraOff = el(
		'p',
		'preview-off',
		__( 'Your camera is off.', 'bookingx-video-consultation' )
	);
	previewBox.append( video, cameraOff );
	const micToggle = button( '', 'toggle', () =>
		client.setAudioEnabled( ! client.local.audio )
	);
	const camToggle = button( '', 'toggle', () =>
		client.setVideoEnabled( ! client.local.video )
	);
	const toggles = el( 'div', 'actions' );
	toggles.append( micToggle, camToggle );

	const meterField = el( 'div', 'field' );
	const meter = el( 'meter', 'meter' );
	meter.min = 0;
	meter.max = 1;
	meter.low = 0.05;
	meter.value = 0;
	meter.id = uid( 'meter' );
	const meterLabel = el(
		'label',
		'field-label',
		__( 'Microphone level', 'bookingx-video-consultation' )
	);
	meterLabel.htmlFor = meter.id;
	meterField.append( meterLabel, meter );

	const devices = devicePickers( ctx );

	// Checks.
	const checks = el( 'ul', 'checks' );
	checks.setAttribute(
		'aria-label',
		__( 'Checks', 'bookingx-video-consultation' )
	);
	const check = () => checks.appendChild( el( 'li', 'check' ) );
	const browserCheck = check();
	const serverCheck = check();
	const networkCheck = check();
	const setCheck = (
		item: HTMLElement,
		ok: boolean | null,
		text: string
	) => {
		item.textContent = text;
		item.dataset.ok = ok === null ? 'pending' : String( ok );
	};

	const problems = el( 'div', 'problems' );
	problems.setAttribute( 'role', 'alert' );

	// Join form.
	const form = el( 'form', 'join' );
	form.noValidate = true;
	const passwordField = el( 'div', 'field' );
	const password = el( 'input', 'input' );
	password.type = 'password';
	password.autocomplete = 'off';
	password.maxLength = 64;
	password.id = uid( 'password' );
	const passwordLabel = el(
		'label',
		'field-label',
		__( 'Meeting password', 'bookingx-video-consultation' )
	);
	passwordLabel.htmlFor = password.id;
	const passwordError = el( 'p', 'error' );
	passwordError.id = uid( 'password-error' );
	passwordField.append( passwordLabel, password, passwordError );
	passwordField.hidden = ! room?.password_required;
	const join = el( 'button', 'primary join-button' );
	join.type = 'submit';
	join.append(
		el(
			'span',
			'label',
			__( 'Join consultation', 'bookingx-video-consultation' )
		)
	);
	const status = el( 'p', 'status' );
	status.setAttribute( 'role', 'status' );
	const retry = button(
		__( 'Try again', 'bookingx-video-consultation' ),
		'',
		() => client.retry()
	);
	const retryMedia = button(
		__( 'Try camera and microphone again', 'bookingx-video-consultation' ),
		'',
		() => void startMedia()
	);
	const joinActions = el( 'div', 'actions' );
	joinActions.append( join, retry, retryMedia );
	form.append( passwordField, joinActions, status );
	form.addEventListener( 'submit', ( event ) => {
		event.preventDefault();
		if (
			client.phase !== 'preflight' ||
			join.getAttribute( 'aria-disabled' ) === 'true'
		) {
			return;
		}
		if ( room?.password_required && ! password.value ) {
			showPasswordError(
				__(
					'Please enter the meeting password from your invitation.',
					'bookingx-video-consultation'
				)
			);
			password.focus();
			return;
		}
		client.join( room?.password_required ? password.value : undefined );
	} );
	const showPasswordError = ( text: string ) => {
		passwordError.textContent = text;
		passwordError.hidden = ! text;
		password.setAttribute( 'aria-invalid', String( !! text ) );
		if ( text ) {
			password.setAttribute( 'aria-describedby', passwordError.id );
		} else {
			password.removeAttribute( 'aria-describedby' );
		}
	};
	showPasswordError( '' );

	const columnA = el( 'div', 'column' );
	columnA.append( previewBox, toggles, meterField );
	const columnB = el( 'div', 'column' );
	columnB.append( who, checks, devices.root, problems, form );
	const grid = el( 'div', 'preflight-grid' );
	grid.append( columnA, columnB );
	root.append( heading, grid );

	// Behaviour.
	let stopMeter = (): void => undefined;
	let meterTrack: MediaStreamTrack | null = null;
	let destroyed = false;
	let shownWrong = false;
	const unsupported = browserSupportProblem( globalThis as never );

	const renderMedia = () => {
		const { local } = client;
		bindStream( video, local.cameraTrack ? local.stream : null );
		const showVideo = !! local.cameraTrack && local.video;
		video.hidden = ! showVideo;
		cameraOff.hidden = showVideo;
		cameraOff.textContent = local.cameraTrack
			? __( 'Your camera is off.', 'bookingx-video-consultation' )
			: __( 'No camera', 'bookingx-video-consultation' );
		setLabel(
			micToggle,
			local.audio
				? __( 'Mute', 'bookingx-video-consultation' )
				: __( 'Unmute', 'bookingx-video-consultation' )
		);
		setIcon( micToggle, 'mic', ! local.audio );
		micToggle.hidden = ! local.audioTrack;
		setLabel(
			camToggle,
			local.video
				? __( 'Stop video', 'bookingx-video-consultation' )
				: __( 'Start video', 'bookingx-video-consultation' )
		);
		setIcon( camToggle, 'camera', ! local.video );
		camToggle.hidden = ! local.cameraTrack;
		meterField.hidden = ! local.audioTrack;
		problems.replaceChildren(
			...[
				...( unsupported ? [ unsupported ] : [] ),
				...local.problems,
			].map( ( code ) =>
				el( 'p', 'error', problemMessage( { code }, __ ) )
			)
		);
		retryMedia.hidden = ! local.problems.length || !! unsupported;
		if ( local.audioTrack !== meterTrack ) {
			stopMeter();
			meterTrack = local.audioTrack;
			stopMeter = meterTrack
				? startLevelMeter(
						meterTrack,
						( level ) => ( meter.value = level )
					)
				: () => undefined;
		}
	};

	const renderJoin = () => {
		const connecting = client.phase === 'connecting';
		const lost = client.connection === 'lost';
		join.setAttribute(
			'aria-disabled',
			String( connecting || !! unsupported )
		);
		join.disabled = !! unsupported;
		join.toggleAttribute( 'aria-busy', connecting && ! lost );
		setLabel(
			join,
			connecting
				? __( 'Joining…', 'bookingx-video-consultation' )
				: __( 'Join consultation', 'bookingx-video-consultation' )
		);
		retry.hidden = ! ( connecting && lost );
		password.readOnly = connecting;
		let text = '';
		if ( connecting ) {
			if ( lost ) {
				text = problemMessage(
					client.problem ?? { code: 'connection_lost' },
					__
				);
			} else if ( client.connection === 'reconnecting' ) {
				text = __(
					'Still trying to connect…',
					'bookingx-video-consultation'
				);
			} else {
				text = __( 'Connecting…', 'bookingx-video-consultation' );
			}
		}
		if ( status.textContent !== text ) {
			status.textContent = text;
		}
		const wrong =
			client.phase === 'preflight' &&
			client.problem?.code === 'room_password_wrong';
		showPasswordError(
			wrong ? problemMessage( { code: 'room_password_wrong' }, __ ) : ''
		);
		if ( wrong && ! shownWrong ) {
			password.focus();
			password.select();
		}
		shownWrong = wrong;
	};

	const startMedia = async () => {
		await client.startLocalMedia();
		if ( ! destroyed ) {
			renderMedia();
			await devices.refresh();
		}
	};

	const renderNetwork = ( path: NetworkPath | null ) => {
		if ( ! path ) {
			setCheck(
				networkCheck,
				null,
				__( 'Network: checking…', 'bookingx-video-consultation' )
			);
		} else if ( path.relay ) {
			setCheck(
				networkCheck,
				true,
				__(
					'Network: ready (through the relay server)',
					'bookingx-video-consultation'
				)
			);
		} else if ( client.ticket?.ice_transport_policy === 'relay' ) {
			setCheck(
				networkCheck,
				false,
				__(
					'Network: the relay server cannot be reached. Video may not connect.',
					'bookingx-video-consultation'
				)
			);
		} else if ( path.srflx ) {
			setCheck(
				networkCheck,
				true,
				__( 'Network: ready', 'bookingx-video-consultation' )
			);
		} else if ( path.host ) {
			setCheck(
				networkCheck,
				true,
				__(
					'Network: local connection only',
					'bookingx-video-consultation'
				)
			);
		} else {
			setCheck(
				networkCheck,
				false,
				__(
					'Network: no connection path found. Video may not connect.',
					'bookingx-video-consultation'
				)
			);
		}
	};

	setCheck(
		browserCheck,
		! unsupported,
		unsupported
			? __( 'Browser: not supported', 'bookingx-video-consultation' )
			: __( 'Browser: supported', 'bookingx-video-consultation' )
	);
	setCheck(
		serverCheck,
		true,
		sprintf(
			/* translators: %d: round trip to the server in milliseconds. */
			__( 'Server: reachable (%d ms)', 'bookingx-video-consultation' ),
			client.ticketLatencyMs ?? 0
		)
	);
	renderMedia();
	renderJoin();
	if ( unsupported ) {
		networkCheck.hidden = true;
	} else {
		renderNetwork( null );
		if ( ! client.local.audioTrack && ! client.local.cameraTrack ) {
			void startMedia();
		} else {
			void devices.refresh();
		}
		if ( client.ticket ) {
			probeNetworkPath( client.ticket ).then(
				( path ) => ! destroyed && renderNetwork( path ),
				() =>
					! destroyed &&
					renderNetwork( { host: false, srflx: false, relay: false } )
			);
		}
	}

	return {
		root,
		heading,
		update( topic: RoomTopic ) {
			if ( topic === 'local' ) {
				renderMedia();
			} else if (
				topic === 'phase' ||
				topic === 'connection' ||
				topic === 'problem'
			) {
				renderJoin();
			}
		},
		destroy() {
			destroyed = true;
			stopMeter();
			devices.destroy();
			bindStream( video, null );
		},
	};
}
