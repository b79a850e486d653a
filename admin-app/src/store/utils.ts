import { __, sprintf } from '@wordpress/i18n';
import { isSecretSettingKey, type SettingKey } from '@bkx-video/contracts';

import type { DraftValue, FieldErrors, PublicSettings } from './types';

/**
 * Structural equality for setting values (primitives and string arrays).
 * @param a
 * @param b
 */
export function isSameValue( a: unknown, b: unknown ): boolean {
	if ( Array.isArray( a ) && Array.isArray( b ) ) {
		return a.length === b.length && a.every( ( v, i ) => v === b[ i ] );
	}
	return a === b;
}

/**
 * Whether a draft value changes nothing and should be dropped from the draft.
 * @param key
 * @param value
 * @param settings
 */
export function isNoopEdit(
	key: SettingKey,
	value: DraftValue,
	settings: PublicSettings | null
): boolean {
	if ( isSecretSettingKey( key ) ) {
		return value === '' || value === undefined; // Empty input = keep.
	}
	if ( ! settings ) {
		return false;
	}
	return isSameValue(
		value,
		( settings as Record< string, unknown > )[ key ]
	);
}

/**
 * `data.details` keys may be dotted (`webrtc_stun_servers.1`): report them on the setting.
 * @param details
 */
export function detailsToFieldErrors(
	details: Record< string, string > | undefined
): FieldErrors {
	const out: FieldErrors = {};
	if ( ! details ) {
		return out;
	}
	for ( const [ path, message ] of Object.entries( details ) ) {
		const [ key = '_', index ] = path.split( '.' );
		const text =
			index !== undefined && /^\d+$/.test( index )
				? sprintf(
						/* translators: 1: line number, 2: what is wrong with that line. */
						__( 'Line %1$d: %2$s', 'bookingx-video-consultation' ),
						Number( index ) + 1,
						message
					)
				: message;
		if ( out[ key ] === undefined ) {
			out[ key ] = text;
		}
	}
	return out;
}
