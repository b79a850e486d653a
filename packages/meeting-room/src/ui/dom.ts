/**
 * DOM helpers: prefixed class names, real buttons, icons, and a media element binder.
 */

const PREFIX = 'bkx-room__';

/**
 * An element with `bkx-room__<name>` classes.
 * @param tag       Tag name.
 * @param className Space-separated names without the prefix ('' for none).
 * @param text      Text content.
 */
export function el< K extends keyof HTMLElementTagNameMap >(
	tag: K,
	className = '',
	text?: string
): HTMLElementTagNameMap[ K ] {
	const node = document.createElement( tag );
	if ( className ) {
		node.className = className
			.split( ' ' )
			.map( ( name ) => PREFIX + name )
			.join( ' ' );
	}
	if ( text !== undefined ) {
		node.textContent = text;
	}
	return node;
}

/**
 * A `<button type="button">` (Space and Enter work natively).
 * @param label     Visible text (its accessible name).
 * @param className Class names without the prefix.
 * @param onClick   Click handler.
 */
export function button(
	label: string,
	className: string,
	onClick: ( event: MouseEvent ) => void
): HTMLButtonElement {
	const node = el( 'button', className );
	node.type = 'button';
	node.append( el( 'span', 'label', label ) );
	node.addEventListener( 'click', onClick );
	return node;
}

/**
 * Sets a button's visible label (and so its accessible name).
 * @param node  The button.
 * @param label New text.
 */
export function setLabel( node: HTMLButtonElement, label: string ): void {
	const span = node.querySelector( `.${ PREFIX }label` );
	if ( span && span.textContent !== label ) {
		span.textContent = label;
	}
}

let idCounter = 0;

/**
 * A unique id for label/aria wiring.
 * @param name Readable part.
 */
export function uid( name: string ): string {
	return `bkx-room-${ name }-${ ++idCounter }`;
}

const ICONS = {
	mic: '<path d="M12 2a3 3 0 0 0-3 3v6a3 3 0 0 0 6 0V5a3 3 0 0 0-3-3z"/><path d="M19 10v1a7 7 0 0 1-14 0v-1M12 18v4"/>',
	camera: '<rect x="2" y="6" width="14" height="12" rx="2"/><path d="M16 10l6-4v12l-6-4z"/>',
	screen: '<rect x="2" y="3" width="20" height="14" rx="2"/><path d="M8 21h8M12 17v4"/>',
	chat: '<path d="M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z"/>',
	notes: '<path d="M14 3H6a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V9z"/><path d="M14 3v6h6M8 13h8M8 17h5"/>',
	people: '<circle cx="9" cy="7" r="4"/><path d="M2 21v-2a4 4 0 0 1 4-4h6a4 4 0 0 1 4 4v2M16 3.1a4 4 0 0 1 0 7.8M22 21v-2a4 4 0 0 0-3-3.9"/>',
	board: '<path d="M3 21l3.5-1 11-11-2.5-2.5-11 11L3 21zM14.5 5.5l2.5-2.5 2.5 2.5-2.5 2.5"/>',
	pip: '<rect x="2" y="4" width="20" height="16" rx="2"/><rect x="12" y="11" width="7" height="6"/>',
	settings:
		'<path d="M4 21v-7M4 10V3M12 21v-9M12 8V3M20 21v-5M20 12V3M1 14h6M9 8h6M17 16h6"/>',
	leave: '<path d="M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4M16 17l5-5-5-5M21 12H9"/>',
	end: '<circle cx="12" cy="12" r="9"/><path d="M8 8l8 8M16 8l-8 8"/>',
} as const;

export type IconName = keyof typeof ICONS;

/**
 * A decorative inline SVG icon (hidden from assistive technology; the button text names it).
 * @param name    Icon.
 * @param slashed Draw a slash over it (muted microphone, camera off).
 */
export function icon( name: IconName, slashed = false ): SVGSVGElement {
	const svg = document.createElementNS( 'http://www.w3.org/2000/svg', 'svg' );
	svg.setAttribute( 'viewBox', '0 0 24 24' );
	svg.setAttribute( 'aria-hidden', 'true' );
	svg.setAttribute( 'focusable', 'false' );
	svg.setAttribute( 'class', `${ PREFIX }icon ${ PREFIX }icon-${ name }` );
	svg.innerHTML = ICONS[ name ] + ( slashed ? '<path d="M3 3l18 18"/>' : '' );
	return svg;
}

/**
 * Puts an icon first in a button, replacing the previous one.
 * @param node    Button.
 * @param name    Icon.
 * @param slashed Slashed variant.
 */
export function setIcon(
	node: HTMLElement,
	name: IconName,
	slashed = false
): void {
	const key = `${ name }${ slashed ? '-off' : '' }`;
	if ( node.dataset.icon === key ) {
		return;
	}
	node.dataset.icon = key;
	node.querySelector( 'svg' )?.remove();
	node.prepend( icon( name, slashed ) );
}

/**
 * Attaches a stream to a video element only when it changed (reassigning restarts playback).
 * @param video  The element.
 * @param stream Stream, or null to detach.
 */
export function bindStream(
	video: HTMLVideoElement,
	stream: MediaStream | null
): void {
	if ( video.srcObject !== stream ) {
		video.srcObject = stream;
		if ( stream ) {
			// Autoplay may be refused before any click; the Join click normally allows it.
			void video.play?.()?.catch( () => undefined );
		}
	}
}

/**
 * A `<video>` for a tile or preview.
 * @param muted Own preview: muted (no echo).
 */
export function videoElement( muted: boolean ): HTMLVideoElement {
	const video = el( 'video', 'video' );
	video.autoplay = true;
	video.playsInline = true;
	video.muted = muted;
	video.setAttribute( 'playsinline', '' );
	return video;
}

/**
 * Two-letter initials for a tile whose camera is off.
 * @param name Display name.
 */
export function initials( name: string ): string {
	const parts = name.trim().split( /\s+/ ).filter( Boolean );
	const letters =
		parts.length > 1 ? [ parts[ 0 ], parts[ parts.length - 1 ] ] : parts;
	return letters
		.map( ( p ) => Array.from( p as string )[ 0 ] ?? '' )
		.join( '' )
		.toUpperCase();
}

/**
 * A side panel's frame: an `<aside>` labelled by its heading (focusable, for moving focus there),
 * and a head row with the title and a Close button named for this panel.
 * @param name       Class and id stem (`chat`, `people`…).
 * @param title      Visible title.
 * @param closeText  Visible text of the Close button.
 * @param closeLabel Its accessible name ("Close chat").
 * @param onClose    Closes the panel.
 */
export function panelFrame(
	name: string,
	title: string,
	closeText: string,
	closeLabel: string,
	onClose: () => void
): { root: HTMLElement; heading: HTMLHeadingElement; head: HTMLElement } {
	const root = el( 'aside', `panel ${ name }` );
	root.id = uid( name );
	const heading = el( 'h3', 'panel-title', title );
	heading.id = uid( `${ name }-title` );
	heading.tabIndex = -1;
	root.setAttribute( 'aria-labelledby', heading.id );
	const close = button( closeText, 'close', onClose );
	close.setAttribute( 'aria-label', closeLabel );
	const head = el( 'div', 'panel-head' );
	head.append( heading, close );
	return { root, heading, head };
}
