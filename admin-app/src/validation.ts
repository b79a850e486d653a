/**
 * Client-side validation with the contracts' own schemas, so obvious mistakes show at once.
 * zod's issues are turned into translated messages.
 */
import { __, sprintf } from '@wordpress/i18n';
import {
	SettingsSchema,
	isSecretSettingKey,
	type SettingKey,
} from '@bkx-video/contracts';

import { getSettingFields } from './settings-fields';

interface Issue {
	code: string;
	path: ReadonlyArray< PropertyKey >;
	message: string;
	origin?: string;
	minimum?: number | bigint;
	maximum?: number | bigint;
}

function issueMessage( key: SettingKey, issue: Issue ): string {
	const def = getSettingFields()[ key ];
	const n = ( v: number | bigint | undefined ) => Number( v ?? 0 );
	switch ( issue.code ) {
		case 'invalid_type':
			return def.type === 'number'
				? __( 'Enter a whole number.', 'bookingx-video-consultation' )
				: __(
						'This value has the wrong type.',
						'bookingx-video-consultation'
					);
		case 'too_small':
			if ( issue.origin === 'number' ) {
				return sprintf(
					/* translators: %d: the smallest allowed number. */
					__(
						'Enter a number of at least %d.',
						'bookingx-video-consultation'
					),
					n( issue.minimum )
				);
			}
			return __(
				'This field cannot be empty.',
				'bookingx-video-consultation'
			);
		case 'too_big':
			if ( issue.origin === 'number' ) {
				return sprintf(
					/* translators: %d: the largest allowed number. */
					__(
						'Enter a number of at most %d.',
						'bookingx-video-consultation'
					),
					n( issue.maximum )
				);
			}
			if ( issue.origin === 'array' ) {
				return sprintf(
					/* translators: %d: the largest allowed number of lines. */
					__(
						'Enter at most %d lines.',
						'bookingx-video-consultation'
					),
					n( issue.maximum )
				);
			}
			return sprintf(
				/* translators: %d: the largest allowed number of characters. */
				__(
					'Use at most %d characters.',
					'bookingx-video-consultation'
				),
				n( issue.maximum )
			);
		case 'invalid_value':
			return __(
				'Choose one of the options.',
				'bookingx-video-consultation'
			);
		case 'invalid_format':
		case 'invalid_union':
		case 'custom':
			if ( def.type === 'list' && issue.path.length > 0 ) {
				return def.invalidItem ?? issue.message;
			}
			return def.invalidFormat ?? issue.message;
		default:
			return issue.message;
	}
}

/**
 * The error message for one setting's value, or null when it is valid.
 * @param key
 * @param value
 */
export function validateSetting(
	key: SettingKey,
	value: unknown
): string | null {
	if ( isSecretSettingKey( key ) && value === null ) {
		return null; // "clear".
	}
	const schema = SettingsSchema.shape[ key ];
	if ( ! schema ) {
		return null;
	}
	const result = schema.safeParse( value );
	if ( result.success ) {
		return null;
	}
	const issue = result.error.issues[ 0 ] as Issue | undefined;
	if ( ! issue ) {
		return null;
	}
	const message = issueMessage( key, issue );
	const index = issue.path[ 0 ];
	if ( typeof index === 'number' ) {
		return sprintf(
			/* translators: 1: line number, 2: what is wrong with that line. */
			__( 'Line %1$d: %2$s', 'bookingx-video-consultation' ),
			index + 1,
			message
		);
	}
	return message;
}

/**
 * Errors of every key of a patch: key → message.
 * @param patch
 */
export function validatePatch(
	patch: Partial< Record< SettingKey, unknown > >
): Record< string, string > {
	const errors: Record< string, string > = {};
	for ( const [ key, value ] of Object.entries( patch ) ) {
		const message = validateSetting( key as SettingKey, value );
		if ( message ) {
			errors[ key ] = message;
		}
	}
	return errors;
}
