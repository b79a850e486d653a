/**
 * Files in the chat panel: "Share a file" (a real file input behind a button), one row per upload
 * with its progress bar, Cancel, and Retry after a failure; and, in the message list, each shared
 * file as a download button with its name and size.
 */

/**
 * Internal dependencies
 */
import type { RoomFilesApi } from '../files';
import { RoomFileError } from '../files';
import { sprintf } from '../i18n';
import type { Translate } from '../i18n';
import type { SharedFile } from '../types';
import type { UiContext } from './context';
import { button, el, uid } from './dom';

/**
 * "12 KB", "3.4 MB".
 * @param bytes  Size.
 * @param locale BCP 47 tag.
 */
export function formatSize(
	bytes: number,
	locale: string | undefined
): string {
	const units = [ 'B', 'KB', 'MB', 'GB' ];
	let value = bytes;
	let unit = 0;
	while ( value >= 1024 && unit < units.length - 1 ) {
		value /= 1024;
		unit++;
	}
	let text: string;
	try {
		text = new Intl.NumberFormat( locale, {
			maximumFractionDigits: unit && value < 10 ? 1 : 0,
		} ).format( value );
	} catch {
		text = String( Math.round( value ) );
	}
	return `${ text } ${ units[ unit ] }`;
}

/**
 * What to say about a failed upload or download.
 * @param error The failure.
 * @param __    Translator.
 */
export function fileErrorMessage( error: unknown, __: Translate ): string {
	const e =
		error instanceof RoomFileError
			? error
			: new RoomFileError( 'fetch_error', '' );
	switch ( e.code ) {
		case 'payload_too_large':
			// The server's text names the site's limit.
			return (
				e.message ||
				__( 'This file is too large.', 'bookingx-video-consultation' )
			);
		case 'file_type_not_allowed':
			return __(
				'This type of file cannot be shared here. You can share PDF, PNG, JPEG, GIF and WebP images, plain text and CSV, Word (.docx) and Excel (.xlsx) files.',
				'bookingx-video-consultation'
			);
		case 'fetch_error':
			return __(
				'The file could not be sent. Please check your connection and try again.',
				'bookingx-video-consultation'
			);
		default:
			return (
				e.message ||
				__(
					'The file could not be shared. Please try again.',
					'bookingx-video-consultation'
				)
			);
	}
}

/**
 * The "Share a file" button and the upload rows.
 * @param ctx   UI context.
 * @param files Upload and download.
 */
export function fileShareControls(
	ctx: UiContext,
	files: RoomFilesApi
): { root: HTMLElement; destroy: () => void } {
	const { __, locale } = ctx;
	const root = el( 'div', 'files' );
	const picker = el( 'input', 'sr' );
	picker.type = 'file';
	picker.tabIndex = -1;
	picker.setAttribute( 'aria-hidden', 'true' );
	const share = button(
		__( 'Share a file', 'bookingx-video-consultation' ),
		'small share-file',
		() => picker.click()
	);
	const list = el( 'ul', 'uploads' );
	root.append( share, picker, list );
	const aborts = new Set< () => void >();

	const start = ( file: File ) => {
		const row = el( 'li', 'upload' );
		const rowId = uid( 'upload' );
		const text = el( 'p', 'upload-text' );
		text.id = rowId;
		const bar = el( 'progress', 'upload-bar' );
		bar.max = 1;
		bar.setAttribute( 'aria-labelledby', rowId );
		const buttons = el( 'div', 'upload-actions' );
		row.append( text, bar, buttons );
		list.append( row );
		const size = formatSize( file.size, locale );

		const run = () => {
			text.textContent = sprintf(
				/* translators: 1: file name, 2: its size. */
				__( 'Uploading %1$s (%2$s)…', 'bookingx-video-consultation' ),
				file.name,
				size
			);
			row.dataset.state = 'uploading';
			bar.hidden = false;
			// Indeterminate until the first progress event.
			bar.removeAttribute( 'value' );
			const upload = files.upload( file, ( fraction ) => {
				if ( fraction === null ) {
					bar.removeAttribute( 'value' );
				} else {
					bar.value = fraction;
				}
			} );
			aborts.add( upload.abort );
			const cancel = button(
				__( 'Cancel', 'bookingx-video-consultation' ),
				'small',
				() => upload.abort()
			);
			cancel.setAttribute(
				'aria-label',
				sprintf(
					/* translators: %s: file name. */
					__( 'Cancel uploading %s', 'bookingx-video-consultation' ),
					file.name
				)
			);
			buttons.replaceChildren( cancel );
			upload.done.then(
				() => {
					aborts.delete( upload.abort );
					row.remove();
					ctx.announce(
						sprintf(
							/* translators: %s: file name. */
							__( '%s shared.', 'bookingx-video-consultation' ),
							file.name
						)
					);
				},
				( error: unknown ) => {
					aborts.delete( upload.abort );
					if (
						error instanceof RoomFileError &&
						error.code === 'aborted'
					) {
						row.remove();
						return;
					}
					row.dataset.state = 'failed';
					bar.hidden = true;
					text.textContent = `${ file.name }: ${ fileErrorMessage( error, __ ) }`;
					row.setAttribute( 'role', 'alert' );
					const again = button(
						__( 'Retry', 'bookingx-video-consultation' ),
						'small',
						() => {
							row.removeAttribute( 'role' );
							run();
						}
					);
					again.setAttribute(
						'aria-label',
						sprintf(
							/* translators: %s: file name. */
							__(
								'Retry uploading %s',
								'bookingx-video-consultation'
							),
							file.name
						)
					);
					const dismiss = button(
						__( 'Dismiss', 'bookingx-video-consultation' ),
						'small',
						() => {
							row.remove();
							share.focus();
						}
					);
					// A wrong type or size will not change on a retry.
					again.hidden =
						error instanceof RoomFileError &&
						[
							'file_type_not_allowed',
							'payload_too_large',
						].includes( error.code );
					buttons.replaceChildren( again, dismiss );
				}
			);
		};
		run();
	};

	picker.addEventListener( 'change', () => {
		for ( const file of Array.from( picker.files ?? [] ) ) {
			start( file );
		}
		picker.value = '';
	} );

	return {
		root,
		destroy() {
			aborts.forEach( ( abort ) => abort() );
		},
	};
}

/**
 * A shared file in the message list: a download button with the name and size.
 * @param ctx   UI context.
 * @param files Download.
 * @param file  The file.
 */
export function fileItem(
	ctx: UiContext,
	files: RoomFilesApi | null,
	file: SharedFile
): HTMLElement {
	const { __, locale } = ctx;
	const box = el( 'p', 'text file' );
	const label = `${ file.name } (${ formatSize( file.size, locale ) })`;
	if ( ! files ) {
		box.textContent = label;
		return box;
	}
	const download = button( label, 'file-link', () => {
		download.disabled = true;
		files.download( file.id ).then(
			() => ( download.disabled = false ),
			( error: unknown ) => {
				download.disabled = false;
				ctx.announce( fileErrorMessage( error, __ ) );
			}
		);
	} );
	download.setAttribute(
		'aria-label',
		sprintf(
			/* translators: 1: file name, 2: its size. */
			__( 'Download %1$s, %2$s', 'bookingx-video-consultation' ),
			file.name,
			formatSize( file.size, locale )
		)
	);
	box.append( download );
	return box;
}
