/**
 * The Notes panel (hosts only): the provider's session notes, autosaved through the block's REST
 * callbacks ({@link NotesSource}).
 *
 * Never lost on reload: every keystroke is kept in localStorage (per consultation) until the
 * server has the same text; a save runs 1 s after typing stops, on blur, and on `pagehide` /
 * `visibilitychange` as a keepalive request. A failed save is retried with backoff while the
 * status says "Not saved yet – retrying". A save from another tab in between (409 `conflict`)
 * shows both texts, and the provider keeps one or both; nothing is overwritten silently.
 */

/**
 * Internal dependencies
 */
import { NOTES_MAX_LENGTH } from '@bkx-video/contracts/room-constants';
import type { SaveSessionNotesBody, SessionNotes } from '@bkx-video/contracts';
import type { UiContext } from './context';
import { button, el, panelFrame, uid } from './dom';

/** How the room reads and writes notes (the block wires them to REST). */
export interface NotesSource {
	/** Rejects with `{ code, message, status }`. */
	load: ( consultationId: number ) => Promise< SessionNotes >;
	/** Rejects with `{ code, message, status, data }`; a 409 `conflict` carries `data.current`. */
	save: (
		consultationId: number,
		body: SaveSessionNotesBody,
		options: { keepalive: boolean }
	) => Promise< SessionNotes >;
}

/** Typing pause before a save. */
export const NOTES_DEBOUNCE_MS = 1000;
const RETRY_FIRST_MS = 2000;
const RETRY_MAX_MS = 30_000;

interface Draft {
	text: string;
	base_version: number;
}

type Failure = {
	code?: string;
	message?: string;
	status?: number;
	data?: { current?: SessionNotes; status?: number };
};

/**
 * The localStorage key of a consultation's unsaved notes.
 * @param consultationId Consultation.
 */
export const draftKey = ( consultationId: number ) =>
	`bkx-video-notes:${ consultationId }`;

/**
 * @param ctx            UI context.
 * @param source         Load and save.
 * @param consultationId The room's consultation.
 * @param onClose        Close button handler.
 */
export function notesPanel(
	ctx: UiContext,
	source: NotesSource,
	consultationId: number,
	onClose: () => void
): {
	root: HTMLElement;
	focus: () => void;
	destroy: () => void;
	append: ( line: string ) => void;
} {
	const { __ } = ctx;
	const win = globalThis.window as Window | undefined;
	const { root, heading, head } = panelFrame(
		'notes',
		__( 'Session notes', 'bookingx-video-consultation' ),
		__( 'Close', 'bookingx-video-consultation' ),
		__( 'Close notes', 'bookingx-video-consultation' ),
		onClose
	);

	const input = el( 'textarea', 'input notes-text' );
	input.id = uid( 'notes-input' );
	input.rows = 12;
	input.maxLength = NOTES_MAX_LENGTH;
	input.disabled = true;
	const label = el(
		'label',
		'sr',
		__( 'Notes (only you can see them)', 'bookingx-video-consultation' )
	);
	label.htmlFor = input.id;
	const hint = el(
		'p',
		'hint',
		__(
			'Private to you. Saved automatically.',
			'bookingx-video-consultation'
		)
	);
	hint.id = uid( 'notes-hint' );
	input.setAttribute( 'aria-describedby', hint.id );
	const status = el( 'p', 'notes-status' );
	status.setAttribute( 'role', 'status' );
	status.setAttribute( 'aria-live', 'polite' );

	// Both texts after a conflict, and what to keep.
	const conflictBox = el( 'section', 'notes-conflict' );
	conflictBox.hidden = true;
	const conflictTitle = el(
		'h4',
		'notes-conflict-title',
		__( 'Changed in another window', 'bookingx-video-consultation' )
	);
	conflictTitle.id = uid( 'notes-conflict' );
	conflictTitle.tabIndex = -1;
	conflictBox.setAttribute( 'aria-labelledby', conflictTitle.id );
	const conflictText = el(
		'p',
		'hint',
		__(
			'These notes were saved from another window meanwhile. Your text stays above; the saved one is below. Keep one of them, or both.',
			'bookingx-video-consultation'
		)
	);
	const theirs = el( 'textarea', 'input notes-theirs' );
	theirs.readOnly = true;
	theirs.rows = 6;
	theirs.id = uid( 'notes-theirs' );
	const theirsLabel = el(
		'label',
		'',
		__( 'Saved in the other window', 'bookingx-video-consultation' )
	);
	theirsLabel.htmlFor = theirs.id;
	const actions = el( 'div', 'notes-actions' );
	conflictBox.append(
		conflictTitle,
		conflictText,
		theirsLabel,
		theirs,
		actions
	);
	root.append( head, hint, label, input, status, conflictBox );

	let version = 0;
	let savedText = '';
	let loaded = false;
	let conflict: SessionNotes | null = null;
	/** A final refusal (too long, no access): no retry until the text changes. */
	let stopped = false;
	let inFlight = false;
	let again = false;
	let debounce: ReturnType< typeof setTimeout > | undefined;
	let retry: ReturnType< typeof setTimeout > | undefined;
	let retryDelay = RETRY_FIRST_MS;
	let destroyed = false;

	const storage = (): Storage | null => {
		try {
			return win?.localStorage ?? null;
		} catch {
			return null;
		}
	};
	const readDraft = (): Draft | null => {
		try {
			const raw = storage()?.getItem( draftKey( consultationId ) );
			const draft = raw ? ( JSON.parse( raw ) as Draft ) : null;
			return draft && typeof draft.text === 'string' ? draft : null;
		} catch {
			return null;
		}
	};
	const writeDraft = () => {
		try {
			storage()?.setItem(
				draftKey( consultationId ),
				JSON.stringify( { text: input.value, base_version: version } )
			);
		} catch {
			// Full or refused: the server save still runs.
		}
	};
	const clearDraft = () => {
		try {
			storage()?.removeItem( draftKey( consultationId ) );
		} catch {
			// Nothing to do.
		}
	};
	const setStatus = ( text: string, kind: string ) => {
		if ( status.textContent !== text ) {
			status.textContent = text;
		}
		status.dataset.kind = kind;
	};

	const showConflict = ( current: SessionNotes ) => {
		conflict = current;
		theirs.value = current.notes;
		conflictBox.hidden = false;
		setStatus(
			__(
				'Not saved: changed in another window',
				'bookingx-video-consultation'
			),
			'conflict'
		);
		if ( ! root.hidden ) {
			conflictTitle.focus();
		}
	};
	const resolve = ( text: string, asSaved: boolean ) => {
		if ( ! conflict ) {
			return;
		}
		version = conflict.version;
		input.value = text;
		conflictBox.hidden = true;
		conflict = null;
		if ( asSaved ) {
			savedText = text;
			clearDraft();
			setStatus( __( 'Saved', 'bookingx-video-consultation' ), 'saved' );
		} else {
			writeDraft();
			void save( false );
		}
		input.focus();
	};
	actions.append(
		button( __( 'Keep mine', 'bookingx-video-consultation' ), 'small', () =>
			resolve( input.value, false )
		),
		button(
			__( 'Keep the saved one', 'bookingx-video-consultation' ),
			'small',
			() => resolve( conflict?.notes ?? '', true )
		),
		button( __( 'Keep both', 'bookingx-video-consultation' ), 'small', () =>
			resolve( `${ input.value }\n\n${ conflict?.notes ?? '' }`, false )
		)
	);

	async function save( keepalive: boolean ): Promise< void > {
		clearTimeout( debounce );
		debounce = undefined;
		if ( ! loaded || conflict || stopped || destroyed ) {
			return;
		}
		if ( input.value === savedText && version > 0 ) {
			clearDraft();
			return;
		}
		if (
			input.value === savedText &&
			version === 0 &&
			input.value === ''
		) {
			return;
		}
		if ( inFlight ) {
			again = true;
			return;
		}
		clearTimeout( retry );
		inFlight = true;
		const text = input.value;
		setStatus( __( 'Saving…', 'bookingx-video-consultation' ), 'saving' );
		try {
			const saved = await source.save(
				consultationId,
				{ notes: text, base_version: version },
				{ keepalive }
			);
			version = saved.version;
			savedText = saved.notes;
			retryDelay = RETRY_FIRST_MS;
			if ( input.value === saved.notes ) {
				clearDraft();
				setStatus(
					__( 'Saved', 'bookingx-video-consultation' ),
					'saved'
				);
			} else {
				// Typed on while it saved: that text is the next save.
				writeDraft();
				again = true;
			}
		} catch ( thrown ) {
			const e = ( thrown ?? {} ) as Failure;
			const code = e.code ?? 'fetch_error';
			const httpStatus = Number( e.status ?? e.data?.status ) || 0;
			writeDraft();
			if ( code === 'conflict' && e.data?.current ) {
				showConflict( e.data.current );
			} else if (
				httpStatus === 413 ||
				httpStatus === 400 ||
				httpStatus === 401 ||
				httpStatus === 403 ||
				httpStatus === 404
			) {
				stopped = true;
				setStatus(
					e.message ||
						__(
							'These notes could not be saved.',
							'bookingx-video-consultation'
						),
					'error'
				);
			} else {
				setStatus(
					__(
						'Not saved yet – retrying',
						'bookingx-video-consultation'
					),
					'retrying'
				);
				retry = setTimeout( () => void save( false ), retryDelay );
				retryDelay = Math.min( RETRY_MAX_MS, retryDelay * 2 );
			}
		} finally {
			inFlight = false;
		}
		if ( again && ! destroyed ) {
			again = false;
			void save( keepalive );
		}
	}

	input.addEventListener( 'input', () => {
		stopped = false;
		writeDraft();
		if ( ! conflict ) {
			setStatus(
				__( 'Not saved yet', 'bookingx-video-consultation' ),
				'dirty'
			);
		}
		clearTimeout( debounce );
		debounce = setTimeout( () => void save( false ), NOTES_DEBOUNCE_MS );
	} );
	input.addEventListener( 'blur', () => void save( false ) );
	// Leaving or hiding the page: the request outlives it.
	const onHide = () => void save( true );
	const onVisibility = () => {
		if ( document.visibilityState === 'hidden' ) {
			onHide();
		}
	};
	win?.addEventListener( 'pagehide', onHide );
	document.addEventListener( 'visibilitychange', onVisibility );

	async function load(): Promise< void > {
		setStatus(
			__( 'Loading notes…', 'bookingx-video-consultation' ),
			'loading'
		);
		let server: SessionNotes;
		try {
			server = await source.load( consultationId );
		} catch ( thrown ) {
			const e = ( thrown ?? {} ) as Failure;
			const httpStatus = Number( e.status ?? e.data?.status ) || 0;
			if ( destroyed ) {
				return;
			}
			if ( httpStatus >= 400 && httpStatus < 500 ) {
				setStatus(
					e.message ||
						__(
							'Your notes could not be loaded.',
							'bookingx-video-consultation'
						),
					'error'
				);
				return;
			}
			setStatus(
				__(
					'Notes could not be loaded – retrying',
					'bookingx-video-consultation'
				),
				'retrying'
			);
			retry = setTimeout( () => void load(), retryDelay );
			retryDelay = Math.min( RETRY_MAX_MS, retryDelay * 2 );
			return;
		}
		if ( destroyed ) {
			return;
		}
		retryDelay = RETRY_FIRST_MS;
		loaded = true;
		input.disabled = false;
		savedText = server.notes;
		version = server.version;
		const draft = readDraft();
		if ( draft && draft.text !== server.notes ) {
			// Typed here before and not saved (a reload, a crash, offline).
			input.value = draft.text;
			if ( draft.base_version === server.version ) {
				void save( false );
			} else {
				version = draft.base_version;
				showConflict( server );
			}
			return;
		}
		clearDraft();
		input.value = server.notes;
		setStatus(
			server.version > 0
				? __( 'Saved', 'bookingx-video-consultation' )
				: '',
			'saved'
		);
	}
	void load();

	return {
		root,
		focus: () => ( input.disabled ? heading : input ).focus(),
		/**
		 * Adds a line at the end (the whiteboard's "Save to notes"), saved like typing.
		 * @param line
		 */
		append( line: string ) {
			input.value = input.value
				? `${ input.value.replace( /\n*$/, '' ) }\n${ line }`
				: line;
			input.dispatchEvent( new Event( 'input' ) );
		},
		destroy() {
			// Leaving the room: save what is typed (the page may be going away).
			void save( true );
			destroyed = true;
			clearTimeout( debounce );
			clearTimeout( retry );
			win?.removeEventListener( 'pagehide', onHide );
			document.removeEventListener( 'visibilitychange', onVisibility );
		},
	};
}
