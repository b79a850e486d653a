/**
 * The whiteboard panel: a shared canvas everyone in the room draws on (pointer: mouse, pen or
 * finger), with colours, Clear, and for the host "Save to notes" (a PNG of the board).
 *
 * Strokes travel as parts of at most BOARD_MAX_POINTS points, about every 60 ms while drawing,
 * in fractions of the board's size; the client keeps the board since the last clear
 * (`client.board`) and this panel draws it: new operations incrementally, everything again after a
 * clear or a resize.
 */

/**
 * External dependencies
 */
import { BOARD_MAX_POINTS } from '@bkx-video/contracts/room-constants';
import type { BoardOp } from '@bkx-video/contracts';

/**
 * Internal dependencies
 */
import type { UiContext } from './context';
import { button, el, panelFrame } from './dom';

const COLORS = [ '#1e1e1e', '#d63638', '#1e73be', '#00a32a' ] as const;
const FLUSH_MS = 60;

type Stroke = Extract< BoardOp, { kind: 'stroke' } >;

/**
 * Draws one stroke (or part) on a 2D context sized `w` × `h` device pixels.
 * @param g      Canvas context.
 * @param op     The stroke.
 * @param w      Width in pixels.
 * @param h      Height in pixels.
 * @param before The previous point of the same stroke, to join the parts.
 */
export function drawStroke(
	g: CanvasRenderingContext2D,
	op: Stroke,
	w: number,
	h: number,
	before?: [ number, number ]
): void {
	const points = before ? [ before, ...op.points ] : op.points;
	g.strokeStyle = op.color;
	g.fillStyle = op.color;
	g.lineWidth = ( op.width * w ) / 800;
	g.lineCap = 'round';
	g.lineJoin = 'round';
	const [ first ] = points;
	if ( ! first ) {
		return;
	}
	if ( points.length === 1 ) {
		g.beginPath();
		g.arc(
			first[ 0 ] * w,
			first[ 1 ] * h,
			g.lineWidth / 2,
			0,
			Math.PI * 2
		);
		g.fill();
		return;
	}
	g.beginPath();
	g.moveTo( first[ 0 ] * w, first[ 1 ] * h );
	for ( const [ x, y ] of points.slice( 1 ) ) {
		g.lineTo( x * w, y * h );
	}
	g.stroke();
}

/**
 * A random stroke id (`[a-z0-9]`, 10 characters).
 */
function strokeId(): string {
	return Math.random().toString( 36 ).slice( 2, 12 ).padEnd( 10, '0' );
}

/**
 * @param ctx     UI context.
 * @param onClose Closes the panel.
 * @param save    Saves a PNG of the board to the session notes (hosts; absent: no button).
 */
export function whiteboardPanel(
	ctx: UiContext,
	onClose: () => void,
	save?: ( png: Blob ) => Promise< void >
): {
	root: HTMLElement;
	focus: () => void;
	update: () => void;
	resize: () => void;
} {
	const { client, __ } = ctx;
	const {
		root,
		heading: title,
		head,
	} = panelFrame(
		'board',
		__( 'Whiteboard', 'bookingx-video-consultation' ),
		__( 'Close', 'bookingx-video-consultation' ),
		__( 'Close whiteboard', 'bookingx-video-consultation' ),
		onClose
	);

	const canvas = el( 'canvas', 'board-canvas' );
	canvas.setAttribute( 'role', 'img' );
	canvas.setAttribute(
		'aria-label',
		__(
			'Shared whiteboard. Draw with the mouse, a pen or a finger; everyone in the consultation sees it.',
			'bookingx-video-consultation'
		)
	);
	const g = canvas.getContext( '2d' );

	let color: string = COLORS[ 0 ];
	const swatches = el( 'div', 'board-tools' );
	const colorNames = [
		__( 'Black', 'bookingx-video-consultation' ),
		__( 'Red', 'bookingx-video-consultation' ),
		__( 'Blue', 'bookingx-video-consultation' ),
		__( 'Green', 'bookingx-video-consultation' ),
	];
	const swatchButtons = COLORS.map( ( c, i ) => {
		const b = button( colorNames[ i ]!, 'small swatch', () => {
			color = c;
			swatchButtons.forEach( ( s, j ) =>
				s.setAttribute( 'aria-pressed', String( j === i ) )
			);
		} );
		b.style.setProperty( '--bkx-room-swatch', c );
		b.setAttribute( 'aria-pressed', String( i === 0 ) );
		return b;
	} );
	const clear = button(
		__( 'Clear', 'bookingx-video-consultation' ),
		'small',
		() => {
			client.drawBoard( { kind: 'clear' } );
		}
	);
	const status = el( 'p', 'board-status' );
	status.setAttribute( 'role', 'status' );
	swatches.append( ...swatchButtons, clear );
	if ( save && client.isHost ) {
		const saveButton = button(
			__( 'Save to notes', 'bookingx-video-consultation' ),
			'small primary',
			() => {
				status.textContent = __(
					'Saving…',
					'bookingx-video-consultation'
				);
				canvas.toBlob( ( blob ) => {
					if ( ! blob ) {
						status.textContent = __(
							'The whiteboard could not be saved. Please try again.',
							'bookingx-video-consultation'
						);
						return;
					}
					save( blob ).then(
						() => {
							status.textContent = __(
								'The whiteboard was saved to the session notes.',
								'bookingx-video-consultation'
							);
						},
						() => {
							status.textContent = __(
								'The whiteboard could not be saved. Please try again.',
								'bookingx-video-consultation'
							);
						}
					);
				}, 'image/png' );
			}
		);
		swatches.append( saveButton );
	}
	root.append( head, canvas, swatches, status );

	// Drawing with the pointer.
	let drawn = 0;
	let current: {
		id: string;
		pending: Array< [ number, number ] >;
		last: [ number, number ] | null;
	} | null = null;
	let flushTimer: ReturnType< typeof setTimeout > | undefined;
	const at = ( event: PointerEvent ): [ number, number ] => {
		const r = canvas.getBoundingClientRect();
		const clamp = ( v: number ) => Math.min( 1, Math.max( 0, v ) );
		return [
			clamp( ( event.clientX - r.left ) / r.width ),
			clamp( ( event.clientY - r.top ) / r.height ),
		];
	};
	const flush = () => {
		clearTimeout( flushTimer );
		flushTimer = undefined;
		if ( ! current || current.pending.length === 0 ) {
			return;
		}
		const points = current.pending.splice( 0, BOARD_MAX_POINTS );
		const rounded = points.map(
			( [ x, y ] ) =>
				[
					Math.round( x * 10000 ) / 10000,
					Math.round( y * 10000 ) / 10000,
				] as [ number, number ]
		);
		// The part starts where the last one ended, so the line has no gaps.
		const withJoin = current.last
			? [ current.last, ...rounded ].slice( 0, BOARD_MAX_POINTS )
			: rounded;
		current.last = rounded[ rounded.length - 1 ] ?? current.last;
		client.drawBoard( {
			kind: 'stroke',
			id: current.id,
			color,
			width: 3,
			points: withJoin,
		} );
		if ( current.pending.length ) {
			flush();
		}
	};
	canvas.addEventListener( 'pointerdown', ( event ) => {
		if ( client.phase !== 'joined' ) {
			return;
		}
		event.preventDefault();
		canvas.setPointerCapture?.( event.pointerId );
		current = { id: strokeId(), pending: [ at( event ) ], last: null };
		flushTimer = setTimeout( flush, FLUSH_MS );
	} );
	canvas.addEventListener( 'pointermove', ( event ) => {
		if ( ! current ) {
			return;
		}
		current.pending.push( at( event ) );
		flushTimer ??= setTimeout( flush, FLUSH_MS );
	} );
	const end = () => {
		flush();
		current = null;
	};
	canvas.addEventListener( 'pointerup', end );
	canvas.addEventListener( 'pointercancel', end );

	const redraw = ( all: boolean ) => {
		if ( ! g ) {
			return;
		}
		const board = client.board;
		if ( all || board.length < drawn ) {
			g.clearRect( 0, 0, canvas.width, canvas.height );
			drawn = 0;
		}
		for ( ; drawn < board.length; drawn++ ) {
			const op = board[ drawn ];
			if ( op?.kind === 'stroke' ) {
				drawStroke( g, op, canvas.width, canvas.height );
			}
		}
	};
	const resize = () => {
		const width = canvas.clientWidth;
		if ( ! width ) {
			return;
		}
		const ratio = globalThis.devicePixelRatio || 1;
		canvas.width = Math.round( width * ratio );
		canvas.height = Math.round( width * 0.5625 * ratio );
		redraw( true );
	};
	let lastBoard = client.board;
	return {
		root,
		focus: () => {
			resize();
			title.focus();
		},
		update: () => {
			// A clear (or a fresh welcome) replaces the list: draw everything again.
			const replaced = client.board !== lastBoard;
			lastBoard = client.board;
			redraw( replaced );
		},
		resize,
	};
}
