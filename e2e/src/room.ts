/**
 * What the browser tests of the built-in room (issue 6) share: the lab they run in (the stack, a
 * network namespace and a Chromium per person, e2e/src/netns.ts), a guest booking whose room is
 * open, and the steps every person takes in the room page (the preflight's Join, the host's Admit
 * or Deny), plus a reader of what the room's own client (`element.bkxRoom`) says about its media.
 *
 * Each test keeps its own assertions; these helpers only assert what every caller needs to hold
 * (the booking got the built-in room, Join became enabled, someone knocked).
 */
import type { Browser, BrowserContext, BrowserContextOptions, Locator, Page } from 'playwright-core';
import { expect } from 'vitest';

import { createNetLab, type NetLab, type TurnServer } from './netns';
import { invitationLink, siteLocal, startStack, type Stack, type StackOptions } from './stack';

/** The site's timezone in every room test (bookings are made in site-local time). */
export const ROOM_TZ = 'Europe/Berlin';

/** The meeting-room block's wrapper; its element carries the room client as `bkxRoom`. */
export const ROOM_SELECTOR = '.wp-block-bookingx-video-meeting-room';

/**
 * The settings every room test starts from: the built-in room as the only platform, guests let in by
 * password through the waiting room, no automatic recording (it has its own test, and its consent
 * dialog would cover the room), and nothing outside the lab (no public STUN, no TURN).
 */
export const ROOM_SETTINGS: Readonly< Record< string, unknown > > = {
	zoom_enabled: false,
	jitsi_enabled: false,
	webrtc_enabled: true,
	default_platform: 'webrtc',
	require_authentication: false,
	password_required: true,
	waiting_room_enabled: true,
	auto_recording: false,
	webrtc_stun_servers: [],
	webrtc_turn_servers: [],
};

/** The meeting-room block of a page. */
export const room = ( page: Page ): Locator => page.locator( ROOM_SELECTOR );

/** The room page's address; with `token` (an invitation's `bkx_vc`) as that guest. */
export function roomUrl( stack: Stack, roomId: string, token?: string ): string {
	return `${ stack.site.url }/?bkx_video_room=${ roomId }${ token === undefined ? '' : `&bkx_vc=${ token }` }`;
}

/** What the room's own client says about its media, read in the page. */
export interface RoomStats {
	/** The client's phase (`joined`, `waiting`, …); `none` before the client exists. */
	phase: string;
	peers: number;
	/** framesDecoded of inbound video, summed per connection. */
	decoded: number[];
	/** framesDecoded of each inbound video stream, over all connections. */
	inbound: number[];
	/** The selected candidate pair of each connection (null until there is one). */
	pairs: Array< { local: string; remote: string; address: string } | null >;
	/** Labels of the video tracks the page sends. */
	videoTrackLabels: string[];
	/** rids of the SFU publisher's outbound video (its simulcast layers), sorted. */
	rids: string[];
	/** Whether the page holds a Janus publisher connection (`sfu:publisher`). */
	hasSfuAccess: boolean;
}

/** Reads the room client's media state in the page (see RoomStats). */
export async function roomStats( page: Page ): Promise< RoomStats > {
	return page.evaluate( async ( selector ) => {
		const element = document.querySelector( selector ) as HTMLElement & { bkxRoom?: any };
		const client = element?.bkxRoom;
		if ( ! client ) {
			return { phase: 'none', peers: 0, decoded: [], inbound: [], pairs: [], videoTrackLabels: [], rids: [], hasSfuAccess: false };
		}
		const decoded: number[] = [];
		const inbound: number[] = [];
		const pairs: RoomStats[ 'pairs' ] = [];
		const videoTrackLabels: string[] = [];
		const rids: string[] = [];
		const pcs = client.peerConnections() as Map< string, RTCPeerConnection >;
		for ( const [ id, pc ] of pcs ) {
			const stats = await pc.getStats();
			let frames = 0;
			let pair: RoomStats[ 'pairs' ][ number ] = null;
			const byId = new Map< string, any >();
			stats.forEach( ( s: any ) => byId.set( s.id, s ) );
			stats.forEach( ( s: any ) => {
				if ( s.type === 'inbound-rtp' && s.kind === 'video' ) {
					frames += s.framesDecoded ?? 0;
					inbound.push( s.framesDecoded ?? 0 );
				}
				if ( id === 'sfu:publisher' && s.type === 'outbound-rtp' && s.kind === 'video' && s.rid ) {
					rids.push( s.rid );
				}
				if ( s.type === 'transport' && s.selectedCandidatePairId ) {
					const p = byId.get( s.selectedCandidatePairId );
					const l = p && byId.get( p.localCandidateId );
					const r = p && byId.get( p.remoteCandidateId );
					if ( l && r ) {
						pair = { local: l.candidateType, remote: r.candidateType, address: l.address ?? l.ip };
					}
				}
			} );
			decoded.push( frames );
			pairs.push( pair );
			for ( const sender of pc.getSenders() ) {
				if ( sender.track?.kind === 'video' ) {
					videoTrackLabels.push( sender.track.label );
				}
			}
		}
		return {
			phase: String( client.phase ),
			peers: client.peers.size as number,
			decoded,
			inbound,
			pairs,
			videoTrackLabels,
			rids: rids.sort(),
			hasSfuAccess: pcs.has( 'sfu:publisher' ),
		};
	}, ROOM_SELECTOR );
}

/** Waits until every connection of the page has decoded more than `min` video frames; returns the stats then. */
export async function decodes( page: Page, min = 10, timeout = 30_000 ): Promise< RoomStats > {
	await expect.poll( async () => {
		const s = await roomStats( page );
		return s.decoded.length > 0 && s.decoded.every( ( n ) => n > min );
	}, { timeout, interval: 500 } ).toBe( true );
	return roomStats( page );
}

/** A guest booking of a room test (see `booking()`). */
export interface RoomBooking {
	bookingId: number;
	consultationId: number;
	email: string;
	/** The customer's display name, as the host's Admit and Deny buttons say it. */
	name: string;
	roomId: string;
	/** The meeting password (empty when the room has none). */
	password: string;
	/** The invitation's join link, from the mail the customer got. */
	link: string;
	/** The link's personal token (`bkx_vc`). */
	token: string;
}

/** Bookings made per stack, so that every customer has an address of their own. */
const made = new WeakMap< Stack, number >();

/**
 * Books a guest consultation starting in 5 minutes (so its room is open) for `first` Patient, waits
 * until the sidecar has made the room, and asserts it is the built-in one (`webrtc`).
 */
export async function booking( stack: Stack, first: string ): Promise< RoomBooking > {
	const { site } = stack;
	const next = made.get( stack ) ?? 0;
	made.set( stack, next + 1 );
	const email = `${ first.toLowerCase() }${ next }@example.test`;
	const start = new Date( Math.ceil( Date.now() / 60000 ) * 60000 + 5 * 60000 );
	const id = await site.bookings.create( {
		serviceId: site.fixtures.videoServiceId,
		seatId: site.fixtures.seatId,
		start: siteLocal( start, ROOM_TZ ),
		customer: { first_name: first, last_name: 'Patient', email, phone: '123' },
		as: 'guest',
	} );
	await stack.settle();
	const row = JSON.parse(
		await site.php( `global $wpdb; echo wp_json_encode( $wpdb->get_row( $wpdb->prepare( "SELECT id, platform, meeting_id, meeting_password FROM {$wpdb->prefix}bkx_video_consultations WHERE booking_id = %d", ${ id } ) ) );` )
	) as { id: string; platform: string; meeting_id: string; meeting_password: string | null };
	expect( row.platform ).toBe( 'webrtc' );
	const link = invitationLink( site, email );
	return {
		bookingId: id,
		consultationId: Number( row.id ),
		email,
		name: `${ first } Patient`,
		roomId: row.meeting_id,
		password: row.meeting_password ?? '',
		link,
		token: new URL( link ).searchParams.get( 'bkx_vc' ) ?? '',
	};
}

/** A new context of `browser` with the provider's WordPress session (logged in through REST), and a page in it. */
export async function providerPage( stack: Stack, browser: Browser, contextOptions: BrowserContextOptions = {} ): Promise< { context: BrowserContext; page: Page } > {
	const session = await stack.site.login( 'provider' );
	const context = await browser.newContext( { locale: 'en-US', ...contextOptions } );
	await context.addCookies( session.cookies.map( ( { name, value } ) => ( { name, value, url: stack.site.url } ) ) );
	return { context, page: await context.newPage() };
}

/**
 * The preflight's Join, with the password when the room asks for one. Fails with what the room
 * shows when Join stays disabled for `timeout` ms.
 */
export async function joinFromPreflight( page: Page, password?: string, timeout = 20_000 ): Promise< void > {
	const join = room( page ).getByRole( 'button', { name: 'Join consultation' } );
	try {
		await expect.poll( () => join.isEnabled(), { timeout } ).toBe( true );
	} catch ( error ) {
		// Say what the preflight shows instead of only "not enabled".
		throw new Error( `Join stayed disabled; the room says: ${ await room( page ).innerText() }`, { cause: error } );
	}
	if ( password !== undefined ) {
		await room( page ).getByLabel( 'Meeting password' ).fill( password );
	}
	await join.click();
}

/**
 * The host sees who knocks at once (the people list opens, People shows a count) and lets them in
 * or turns them away.
 */
export async function admitOrDeny( page: Page, action: 'Admit' | 'Deny', name: string, timeout = 20_000 ): Promise< void > {
	await expect.poll( () => room( page ).getByRole( 'button', { name: /^People.*1 waiting/ } ).isVisible(), { timeout } ).toBe( true );
	await room( page ).getByRole( 'button', { name: `${ action } ${ name }` } ).click( { timeout: 5000 } );
}

/** What `startRoomLab()` starts beyond the common lab, by peer name `P`. */
export interface RoomLabOptions< P extends string > {
	/** One network namespace and one Chromium each; default `host` and `cust`. */
	peers?: readonly P[];
	/** Merged over ROOM_SETTINGS. */
	settings?: Record< string, unknown >;
	/** Start the lab's TURN server with this secret and make it the site's only TURN server. */
	turnSecret?: string;
	/** Runs once the lab exists, before the stack starts (Janus in the hub); its result is added to the sidecar's environment. */
	beforeStack?: ( lab: NetLab ) => Promise< Record< string, string > | void >;
	/** Passed to `startStack()` (the timezone is ROOM_TZ, Jitsi is not configured). */
	stack?: Omit< StackOptions, 'timezone' | 'configureJitsi' >;
}

/** A started room lab (see `startRoomLab()`). */
export interface RoomLab< P extends string > {
	stack: Stack;
	lab: NetLab;
	/** A Chromium in each peer's namespace, by peer name. */
	browsers: Record< P, Browser >;
	/** Set with `turnSecret`. */
	turn?: TurnServer;
}

/**
 * Starts what a room test runs in: the stack in the root namespace, a net lab with a namespace per
 * peer that reaches the site and the sidecar at their 127.0.0.1 URLs through forwards, a Chromium
 * in each, and the room settings (ROOM_SETTINGS with `settings` over them). On failure everything
 * started so far is stopped again; otherwise the caller destroys the lab and stops the stack.
 */
export async function startRoomLab< P extends string = 'host' | 'cust' >( options: RoomLabOptions< P > = {} ): Promise< RoomLab< P > > {
	const peers = options.peers ?? ( [ 'host', 'cust' ] as unknown as readonly P[] );
	let lab: NetLab | undefined;
	let stack: Stack | undefined;
	try {
		lab = await createNetLab( { peers: [ ...peers ] } );
		const sidecarEnv = ( await options.beforeStack?.( lab ) ) ?? {};
		stack = await startStack( {
			...options.stack,
			timezone: ROOM_TZ,
			configureJitsi: false,
			sidecarEnv: { ...options.stack?.sidecarEnv, ...sidecarEnv },
		} );
		const sitePort = Number( new URL( stack.site.url ).port );
		for ( const peer of peers ) {
			await lab.forward( peer, sitePort );
			await lab.forward( peer, stack.sidecar.port );
		}
		const turn = options.turnSecret === undefined ? undefined : await lab.startTurn( { secret: options.turnSecret, realm: 'bkx-e2e' } );
		const launched = await Promise.all( peers.map( ( peer ) => lab!.launchChromium( peer ) ) );
		const browsers = Object.fromEntries( peers.map( ( peer, i ) => [ peer, launched[ i ]! ] ) ) as Record< P, Browser >;
		await stack.saveSettings( {
			...ROOM_SETTINGS,
			...( turn ? { webrtc_turn_servers: [ turn.url ], webrtc_turn_secret: options.turnSecret } : {} ),
			...options.settings,
		} );
		return { stack, lab, browsers, ...( turn ? { turn } : {} ) };
	} catch ( error ) {
		await lab?.destroy();
		await stack?.stop();
		throw error;
	}
}
