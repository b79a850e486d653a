/**
 * The video grid: one tile per participant (self last, or floating in a corner on a phone),
 * laid out by {@link stageLayout} for the count and the stage's size.
 */

/**
 * Internal dependencies
 */
import type { QualityLevel } from '@bkx-video/contracts';
import { sprintf } from '../i18n';
import { stageLayout } from '../layout';
import type { RemotePeer } from '../types';
import type { UiContext } from './context';
import { bindStream, el, icon, initials, videoElement } from './dom';

const WORSE: Record< QualityLevel, number > = { good: 0, fair: 1, poor: 2 };

/**
 * A three-bar quality indicator with a text name for screen readers.
 * @param ctx UI context.
 */
export function qualityIndicator( ctx: UiContext ): {
	root: HTMLElement;
	set: ( level: QualityLevel ) => void;
} {
	const { __ } = ctx;
	const root = el( 'span', 'quality' );
	root.setAttribute( 'role', 'img' );
	root.append( el( 'i' ), el( 'i' ), el( 'i' ) );
	const names: Record< QualityLevel, string > = {
		good: __( 'Connection: good', 'bookingx-video-consultation' ),
		fair: __( 'Connection: fair', 'bookingx-video-consultation' ),
		poor: __( 'Connection: poor', 'bookingx-video-consultation' ),
	};
	const set = ( level: QualityLevel ) => {
		if ( root.dataset.level !== level ) {
			root.dataset.level = level;
			root.setAttribute( 'aria-label', names[ level ] );
			root.title = names[ level ];
		}
	};
	set( 'good' );
	return { root, set };
}

interface Tile {
	root: HTMLElement;
	video: HTMLVideoElement;
	avatar: HTMLElement;
	name: HTMLElement;
	muted: HTMLElement;
	state: HTMLElement;
	quality: ReturnType< typeof qualityIndicator >;
}

function createTile( ctx: UiContext, self: boolean ): Tile {
	const root = el( 'figure', 'tile' );
	const video = videoElement( self );
	const avatar = el( 'div', 'avatar' );
	avatar.setAttribute( 'aria-hidden', 'true' );
	const state = el( 'p', 'tile-state' );
	const caption = el( 'figcaption', 'caption' );
	const name = el( 'span', 'name' );
	const muted = el( 'span', 'muted' );
	muted.setAttribute( 'role', 'img' );
	muted.setAttribute(
		'aria-label',
		ctx.__( 'Microphone off', 'bookingx-video-consultation' )
	);
	muted.append( icon( 'mic', true ) );
	const quality = qualityIndicator( ctx );
	caption.append( name, muted, quality.root );
	root.append( video, avatar, state, caption );
	if ( self ) {
		root.dataset.self = '';
	} else {
		ctx.applySink( video );
	}
	return { root, video, avatar, name, muted, state, quality };
}

function setText( node: HTMLElement, text: string ): void {
	if ( node.textContent !== text ) {
		node.textContent = text;
	}
}

/**
 * @param ctx UI context.
 */
export function stage( ctx: UiContext ): {
	root: HTMLElement;
	update: () => void;
	/** The first remote video showing something (picture-in-picture). */
	mainVideo: () => HTMLVideoElement | null;
	destroy: () => void;
} {
	const { client, __ } = ctx;
	const root = el( 'div', 'stage' );
	root.setAttribute( 'role', 'group' );
	root.setAttribute(
		'aria-label',
		__( 'Participants’ video', 'bookingx-video-consultation' )
	);
	const tiles = new Map< string, Tile >();
	const selfTile = createTile( ctx, true );
	root.append( selfTile.root );
	let sink: string | undefined;

	const layout = () => {
		const count = tiles.size + 1;
		const shape = stageLayout( count, root.clientWidth, root.clientHeight );
		root.dataset.layout = shape.mode;
		root.style.setProperty( '--bkx-cols', String( shape.columns ) );
		root.style.setProperty( '--bkx-rows', String( shape.rows ) );
		selfTile.root.toggleAttribute( 'data-floating', shape.selfFloating );
	};

	const updateRemote = ( tile: Tile, peer: RemotePeer ) => {
		const { info } = peer;
		const name =
			info.name || __( 'Participant', 'bookingx-video-consultation' );
		setText(
			tile.name,
			info.role === 'host'
				? sprintf(
						/* translators: %s: participant name. */
						__( '%s (host)', 'bookingx-video-consultation' ),
						name
					)
				: name
		);
		setText( tile.avatar, initials( name ) );
		bindStream( tile.video, peer.stream );
		tile.root.toggleAttribute(
			'data-video-off',
			! info.video && ! info.screen
		);
		tile.root.toggleAttribute( 'data-screen', info.screen );
		tile.muted.hidden = info.audio;
		const reported = peer.reportedQuality ?? 'good';
		tile.quality.set(
			WORSE[ reported ] > WORSE[ peer.quality ] ? reported : peer.quality
		);
		let state = '';
		if (
			peer.connectionState === 'new' ||
			peer.connectionState === 'connecting'
		) {
			state = __( 'Connecting…', 'bookingx-video-consultation' );
		} else if (
			peer.connectionState === 'disconnected' ||
			peer.connectionState === 'failed'
		) {
			state = __( 'Reconnecting…', 'bookingx-video-consultation' );
		}
		setText( tile.state, state );
		tile.state.hidden = ! state;
	};

	const updateSelf = () => {
		const { local, self } = client;
		const name = self?.name || client.room?.display_name || '';
		setText(
			selfTile.name,
			/* translators: %s: own display name. */
			sprintf( __( '%s (you)', 'bookingx-video-consultation' ), name )
		);
		setText( selfTile.avatar, initials( name ) );
		const screen = local.screenTrack !== null;
		const camera = local.cameraTrack !== null && local.video;
		bindStream( selfTile.video, screen || camera ? local.stream : null );
		selfTile.root.toggleAttribute( 'data-video-off', ! screen && ! camera );
		selfTile.root.toggleAttribute( 'data-screen', screen );
		selfTile.video.classList.toggle( 'bkx-room__mirror', ! screen );
		selfTile.muted.hidden = local.audio && local.audioTrack !== null;
		selfTile.quality.set( client.quality );
		selfTile.state.hidden = true;
	};

	const update = () => {
		for ( const [ id, tile ] of tiles ) {
			if ( ! client.peers.has( id ) ) {
				bindStream( tile.video, null );
				tile.root.remove();
				tiles.delete( id );
			}
		}
		for ( const [ id, peer ] of client.peers ) {
			let tile = tiles.get( id );
			if ( ! tile ) {
				tile = createTile( ctx, false );
				tile.root.dataset.peer = id;
				tiles.set( id, tile );
				selfTile.root.before( tile.root );
			}
			updateRemote( tile, peer );
		}
		updateSelf();
		if ( sink !== client.local.audioOutput ) {
			sink = client.local.audioOutput;
			tiles.forEach( ( tile ) => ctx.applySink( tile.video ) );
		}
		layout();
	};

	const observer =
		typeof ResizeObserver === 'function'
			? new ResizeObserver( layout )
			: null;
	observer?.observe( root );
	update();

	return {
		root,
		update,
		mainVideo: () => {
			for ( const [ id, tile ] of tiles ) {
				const info = client.peers.get( id )?.info;
				if (
					info &&
					( info.video || info.screen ) &&
					tile.video.srcObject
				) {
					return tile.video;
				}
			}
			return null;
		},
		destroy: () => {
			observer?.disconnect();
			tiles.forEach( ( tile ) => bindStream( tile.video, null ) );
			bindStream( selfTile.video, null );
		},
	};
}
