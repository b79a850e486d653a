import {
	Button,
	SelectControl,
	TextControl,
	TextareaControl,
	ToggleControl,
} from '@wordpress/components';
import { useDispatch, useSelect } from '@wordpress/data';
import { useEffect, useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';
import {
	SettingsSchema,
	isSecretSettingKey,
	type SecretSettingKey,
	type SettingKey,
} from '@bkx-video/contracts';

import { getSettingFields, type FieldDef } from '../settings-fields';
import { store } from '../store';
import type { DraftValue } from '../store/types';
import { isSameValue } from '../store/utils';
import { fieldHelp } from './FieldHelp';

function parseLines( text: string ): string[] {
	return text
		.split( /\r?\n/ )
		.map( ( line ) => line.trim() )
		.filter( ( line ) => line !== '' );
}

function numberBounds( key: SettingKey ): { min?: number; max?: number } {
	const schema = SettingsSchema.shape[ key ] as {
		minValue?: number | null;
		maxValue?: number | null;
	};
	const bounds: { min?: number; max?: number } = {};
	if ( typeof schema.minValue === 'number' ) {
		bounds.min = schema.minValue;
	}
	if ( typeof schema.maxValue === 'number' ) {
		bounds.max = schema.maxValue;
	}
	return bounds;
}

interface ControlProps {
	settingKey: SettingKey;
	def: FieldDef;
	value: DraftValue;
	error: string | null;
	onChange: ( value: DraftValue ) => void;
}

function ListField( {
	settingKey,
	def,
	value,
	error,
	onChange,
}: ControlProps ) {
	const joined = Array.isArray( value ) ? value.join( '\n' ) : '';
	const [ text, setText ] = useState( joined );
	// Follow outside changes (load, discard) without fighting the user's blank lines.
	useEffect( () => {
		setText( ( current ) =>
			isSameValue( parseLines( current ), parseLines( joined ) )
				? current
				: joined
		);
	}, [ joined ] );
	return (
		<TextareaControl
			className={ `bkx-video-admin__field-${ settingKey }` }
			label={ def.label }
			help={ fieldHelp( error, def.help ) }
			value={ text }
			rows={ 4 }
			aria-invalid={ error ? true : undefined }
			onChange={ ( next: string ) => {
				setText( next );
				onChange( parseLines( next ) );
			} }
		/>
	);
}

function SecretField( {
	settingKey,
	def,
	value,
	error,
	onChange,
}: ControlProps & { settingKey: SecretSettingKey } ) {
	const { secret, clearing } = useSelect(
		( select ) => ( {
			secret: select( store ).getSecretState( settingKey ),
			clearing: select( store ).isSecretMarkedForClearing( settingKey ),
		} ),
		[ settingKey ]
	);
	let state: string;
	if ( clearing ) {
		state = __(
			'Will be removed when you save.',
			'bookingx-video-consultation'
		);
	} else if ( secret.is_set ) {
		state = sprintf(
			/* translators: %s: the last characters of the saved secret. */
			__(
				'Saved (ends in ••••%s). Leave empty to keep it.',
				'bookingx-video-consultation'
			),
			secret.tail
		);
	} else {
		state = __( 'Not set.', 'bookingx-video-consultation' );
	}
	return (
		<div className="bkx-video-admin__secret">
			<TextControl
				className={ `bkx-video-admin__field-${ settingKey }` }
				label={ def.label }
				type="password"
				autoComplete="new-password"
				spellCheck={ false }
				help={ fieldHelp( error, state, def.help ) }
				value={ typeof value === 'string' ? value : '' }
				aria-invalid={ error ? true : undefined }
				onChange={ ( next: string ) => onChange( next ) }
			/>
			{ clearing && (
				<Button
					variant="secondary"
					aria-label={ sprintf(
						/* translators: %s: setting label, such as "Zoom client secret". */
						__( 'Undo clearing %s', 'bookingx-video-consultation' ),
						def.label
					) }
					onClick={ () => onChange( '' ) }
				>
					{ __( 'Undo clear', 'bookingx-video-consultation' ) }
				</Button>
			) }
			{ ! clearing && secret.is_set && (
				<Button
					variant="secondary"
					isDestructive
					aria-label={ sprintf(
						/* translators: %s: setting label, such as "Zoom client secret". */
						__( 'Clear %s', 'bookingx-video-consultation' ),
						def.label
					) }
					onClick={ () => onChange( null ) }
				>
					{ __( 'Clear', 'bookingx-video-consultation' ) }
				</Button>
			) }
		</div>
	);
}

/**
 * One setting, with the control its type calls for.
 * @param root0
 * @param root0.settingKey
 */
export default function SettingField( {
	settingKey,
}: {
	settingKey: SettingKey;
} ) {
	const def = getSettingFields()[ settingKey ];
	const { value, error } = useSelect(
		( select ) => ( {
			value: select( store ).getFieldValue( settingKey ),
			error: select( store ).getFieldError( settingKey ),
		} ),
		[ settingKey ]
	);
	const { editSetting } = useDispatch( store );
	const onChange = ( next: DraftValue ) => editSetting( settingKey, next );
	const props = { settingKey, def, value, error, onChange };
	const className = `bkx-video-admin__field-${ settingKey }`;

	if ( isSecretSettingKey( settingKey ) ) {
		return <SecretField { ...props } settingKey={ settingKey } />;
	}

	switch ( def.type ) {
		case 'boolean':
			return (
				<ToggleControl
					className={ className }
					label={ def.label }
					help={ fieldHelp( error, def.help ) }
					checked={ value === true }
					onChange={ ( checked: boolean ) => onChange( checked ) }
				/>
			);
		case 'enum':
			return (
				<SelectControl
					className={ className }
					label={ def.label }
					help={ fieldHelp( error, def.help ) }
					value={ typeof value === 'string' ? value : '' }
					options={ def.options ?? [] }
					aria-invalid={ error ? true : undefined }
					onChange={ ( next: string ) => onChange( next ) }
				/>
			);
		case 'number':
			return (
				<TextControl
					className={ className }
					label={ def.label }
					type="number"
					step={ 1 }
					{ ...numberBounds( settingKey ) }
					help={ fieldHelp( error, def.help ) }
					value={
						value === null || value === undefined
							? ''
							: String( value )
					}
					aria-invalid={ error ? true : undefined }
					onChange={ ( next: string ) => {
						const trimmed = next.trim();
						const asNumber = Number( trimmed );
						onChange(
							trimmed !== '' && Number.isFinite( asNumber )
								? asNumber
								: trimmed
						);
					} }
				/>
			);
		case 'list':
			return <ListField { ...props } />;
		case 'textarea':
			return (
				<TextareaControl
					className={ className }
					label={ def.label }
					help={ fieldHelp( error, def.help ) }
					value={ typeof value === 'string' ? value : '' }
					rows={ 10 }
					aria-invalid={ error ? true : undefined }
					onChange={ ( next: string ) => onChange( next ) }
				/>
			);
		default:
			return (
				<TextControl
					className={ className }
					label={ def.label }
					type={ def.inputType ?? 'text' }
					help={ fieldHelp( error, def.help ) }
					value={ typeof value === 'string' ? value : '' }
					aria-invalid={ error ? true : undefined }
					onChange={ ( next: string ) => onChange( next ) }
				/>
			);
	}
}
