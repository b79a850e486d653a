/**
 * Front end of the Join button: plain DOM, no React (this file is the whole page weight).
 *
 * Reads `bkx_vc` from the page URL, asks REST for the viewer's current consultation, and keeps
 * the block's markup in step with {@link buildModel} (countdown ticks, opening without reload).
 * The join URL is fetched on click and used at once; it never enters the DOM.
 */

/**
 * WordPress dependencies
 */
import apiFetch from '@wordpress/api-fetch';
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { createClient, toApiError } from '@bkx-video/api-client/lite';
import { accessToken } from '../shared/access-token';
import type { ConsultationView } from '@bkx-video/api-client/lite';
import { buildModel, clockSkew } from './join-state';
import type {
	JoinButtonOptions,
	JoinError,
	JoinModel,
	JoinUiState,
} from './join-state';

const BLOCK_SELECTOR = '.wp-block-bookingx-video-join-button';
const client = createClient( { fetcher: apiFetch } );

function asJoinError( thrown: unknown ): JoinError {
	const { code, status, message } = toApiError( thrown );
	return { code, status, message };
}

/** One request per page, however many blocks it holds. */
let current:
	Promise< { consultation: ConsultationView; skewMs: number } > | undefined;
function loadCurrent( token: string | undefined ) {
	current ??= client.consultations
		.current( { accessToken: token } )
		.then( ( consultation ) => ( {
			consultation,
			skewMs: clockSkew( consultation.server_time, Date.now() ),
		} ) );
	return current;
}

function el< K extends keyof HTMLElementTagNameMap >(
	tag: K,
	className: string
): HTMLElementTagNameMap[ K ] {
	const node = document.createElement( tag );
	node.className = `bkx-video-join__${ className }`;
	return node;
}

/**
 * "Add to calendar": a disclosure button that fetches the entry on first use (no request unless
 * asked) and offers Google, Outlook and an `.ics` file (Apple Calendar, Thunderbird…).
 * @param consultation
 * @param token
 */
function addToCalendar(
	consultation: () => ConsultationView | undefined,
	token: string | undefined
) {
	const root = el( 'div', 'calendar' );
	const toggle = el( 'button', 'calendar-toggle' );
	toggle.type = 'button';
	toggle.textContent = __( 'Add to calendar', 'bookingx-video-consultation' );
	toggle.setAttribute( 'aria-expanded', 'false' );
	const list = el( 'ul', 'calendar-links' );
	list.id = `bkx-video-calendar-${ Math.random().toString( 36 ).slice( 2 ) }`;
	list.hidden = true;
	toggle.setAttribute( 'aria-controls', list.id );
	const problem = el( 'p', 'calendar-error' );
	problem.setAttribute( 'role', 'alert' );
	problem.hidden = true;
	root.append( toggle, list, problem );

	const link = ( label: string, href: string, download?: string ) => {
		const item = document.createElement( 'li' );
		const a = document.createElement( 'a' );
		a.textContent = label;
		a.href = href;
		if ( download ) {
			a.download = download;
		} else {
			a.target = '_blank';
			a.rel = 'noopener noreferrer';
		}
		item.append( a );
		return item;
	};

	let loaded = false;
	toggle.addEventListener( 'click', () => {
		const c = consultation();
		if ( ! c || toggle.getAttribute( 'aria-busy' ) === 'true' ) {
			return;
		}
		if ( loaded ) {
			list.hidden = ! list.hidden;
			toggle.setAttribute( 'aria-expanded', String( ! list.hidden ) );
			return;
		}
		toggle.setAttribute( 'aria-busy', 'true' );
		problem.hidden = true;
		client.consultations
			.calendar( c.id, { accessToken: token } )
			.then( ( entry ) => {
				const file = URL.createObjectURL(
					new Blob( [ entry.ics ], {
						type: 'text/calendar;charset=utf-8',
					} )
				);
				list.replaceChildren(
					link(
						__( 'Google Calendar', 'bookingx-video-consultation' ),
						entry.google_url
					),
					link(
						__( 'Outlook', 'bookingx-video-consultation' ),
						entry.outlook_url
					),
					link(
						__(
							'Download .ics file (Apple Calendar and others)',
							'bookingx-video-consultation'
						),
						file,
						entry.filename
					)
				);
				loaded = true;
				list.hidden = false;
				toggle.setAttribute( 'aria-expanded', 'true' );
			} )
			.catch( ( thrown: unknown ) => {
				const error = asJoinError( thrown );
				problem.textContent =
					error.message ||
					__(
						'The calendar entry could not be loaded. Please try again.',
						'bookingx-video-consultation'
					);
				problem.hidden = false;
			} )
			.finally( () => toggle.removeAttribute( 'aria-busy' ) );
	} );
	return { root };
}

function mount( root: HTMLElement ): void {
	const options: JoinButtonOptions = {
		buttonLabel: root.dataset.buttonLabel ?? '',
		showCountdown: root.dataset.showCountdown !== '0',
		showDetails: root.dataset.showDetails !== '0',
	};
	const token = accessToken();
	const format = { locale: document.documentElement.lang || undefined };

	// The server-rendered live region is reused, so screen readers announce each change.
	const status =
		root.querySelector< HTMLElement >( '.bkx-video-join__status' ) ??
		el( 'p', 'status' );
	if ( ! status.isConnected ) {
		status.setAttribute( 'role', 'status' );
		status.setAttribute( 'aria-live', 'polite' );
		root.append( status );
	}
	const details = el( 'dl', 'details' );
	const countdown = el( 'p', 'countdown' );
	countdown.setAttribute( 'role', 'timer' );
	const button = el( 'button', 'button' );
	button.type = 'button';
	button.classList.add( 'wp-element-button' );
	const login = el( 'a', 'login' );
	login.textContent = __( 'Log in', 'bookingx-video-consultation' );
	login.href = root.dataset.loginUrl ?? '';
	details.hidden = countdown.hidden = button.hidden = login.hidden = true;
	const calendar = addToCalendar( () => ui.consultation, token );
	calendar.root.hidden = true;
	status.before( details );
	status.after( countdown, button, login, calendar.root );

	let ui: JoinUiState = { phase: 'loading', skewMs: 0, joining: false };
	let timer: ReturnType< typeof setTimeout > | undefined;
	let shownDetails = '';

	const render = (): void => {
		const model: JoinModel = buildModel( ui, Date.now(), options, format );
		root.dataset.state = model.kind;
		root.toggleAttribute(
			'aria-busy',
			model.kind === 'loading' || ui.joining
		);
		if ( model.errorCode ) {
			root.dataset.errorCode = model.errorCode;
		} else {
			delete root.dataset.errorCode;
		}
		// Only touch the live region when its text changes, or it is re-announced every tick.
		if ( status.textContent !== model.message ) {
			status.textContent = model.message;
		}
		const detailsKey = JSON.stringify( model.details );
		if ( detailsKey !== shownDetails ) {
			shownDetails = detailsKey;
			details.replaceChildren(
				...( model.details ?? [] ).flatMap( ( d ) => {
					const dt = document.createElement( 'dt' );
					const dd = document.createElement( 'dd' );
					dt.textContent = d.term;
					dd.textContent = d.description;
					return [ dt, dd ];
				} )
			);
		}
		details.hidden = ! model.details;
		countdown.hidden = ! model.countdown;
		countdown.textContent = model.countdown ?? '';
		button.hidden = ! model.button;
		if ( model.button ) {
			button.textContent = model.button.label;
			button.disabled = model.button.disabled;
			// Busy keeps focus on the button (no `disabled`), clicks are ignored meanwhile.
			button.setAttribute( 'aria-disabled', String( model.button.busy ) );
			button.toggleAttribute( 'aria-busy', model.button.busy );
		}
		login.hidden = ! model.showLogin || ! login.getAttribute( 'href' );
		calendar.root.hidden =
			model.kind !== 'too_early' && model.kind !== 'open';

		clearTimeout( timer );
		if ( model.nextTickMs !== null ) {
			timer = setTimeout( render, model.nextTickMs );
		}
	};

	button.addEventListener( 'click', () => {
		const consultation = ui.consultation;
		if ( ui.joining || button.disabled || ! consultation ) {
			return;
		}
		ui = { ...ui, joining: true, joinError: undefined };
		render();
		client.consultations
			.join( consultation.id, { accessToken: token } )
			.then( ( { join_url: url } ) => {
				if ( ! /^https?:\/\//i.test( url ) ) {
					throw {
						code: 'invalid_response',
						message: '',
						data: { status: 0 },
					};
				}
				if ( token ) {
					// Keep the invitation token out of the Referer sent to the video platform.
					const meta = document.createElement( 'meta' );
					meta.name = 'referrer';
					meta.content = 'no-referrer';
					document.head.append( meta );
				}
				window.location.assign( url );
			} )
			.catch( ( thrown: unknown ) => {
				ui = {
					...ui,
					joining: false,
					joinError: asJoinError( thrown ),
				};
				render();
			} );
	} );

	// Back from the video platform via the back/forward cache: the button must not stay busy.
	window.addEventListener( 'pageshow', ( event ) => {
		if ( event.persisted && ui.joining ) {
			ui = { ...ui, joining: false };
			render();
		}
	} );

	render();
	loadCurrent( token ).then(
		( { consultation, skewMs } ) => {
			ui = { ...ui, phase: 'ready', consultation, skewMs };
			render();
		},
		( thrown: unknown ) => {
			ui = { ...ui, phase: 'error', loadError: asJoinError( thrown ) };
			render();
		}
	);
}

function init(): void {
	document
		.querySelectorAll< HTMLElement >( BLOCK_SELECTOR )
		.forEach( ( root ) => {
			if ( ! root.dataset.mounted ) {
				root.dataset.mounted = '1';
				mount( root );
			}
		} );
}

// WordPress 6.1 prints block view scripts in the head: wait for the markup.
if ( document.readyState === 'loading' ) {
	document.addEventListener( 'DOMContentLoaded', init );
} else {
	init();
}
