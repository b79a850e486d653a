import { Button, Notice, Spinner, TabPanel } from '@wordpress/components';
import { useDispatch, useRegistry, useSelect } from '@wordpress/data';
import { useEffect, useRef, useState } from '@wordpress/element';
import { __ } from '@wordpress/i18n';
import { SETTING_GROUPS, type SettingKey } from '@bkx-video/contracts';

import { getErrorFix, getErrorMessage } from '../errors';
import { getGroupTitle, getSettingFields } from '../settings-fields';
import { store } from '../store';
import SettingField from './SettingField';

function groupOf( key: string ): string | undefined {
	return SETTING_GROUPS.find( ( g ) =>
		( g.keys as ReadonlyArray< string > ).includes( key )
	)?.id;
}

/**
 * Focuses a field's control once its tab is shown.
 * @param key
 */
function focusField( key: string ) {
	window.requestAnimationFrame( () => {
		document
			.querySelector< HTMLElement >(
				`.bkx-video-admin__setting[data-setting="${ key }"] input, ` +
					`.bkx-video-admin__setting[data-setting="${ key }"] select, ` +
					`.bkx-video-admin__setting[data-setting="${ key }"] textarea`
			)
			?.focus();
	} );
}

export default function SettingsScreen() {
	const { settings, loadError, dirty, saving, fieldErrors } = useSelect(
		( select ) => ( {
			settings: select( store ).getSettings(),
			loadError: select( store ).getLoadError(),
			dirty: select( store ).isDirty(),
			saving: select( store ).isSaving(),
			fieldErrors: select( store ).getFieldErrors(),
		} ),
		[]
	);
	const { saveSettings, discardChanges, loadSettings } = useDispatch( store );
	const registry = useRegistry();

	// TabPanel of WP 6.1 is uncontrolled: remount it (new key) to switch tabs from code.
	const [ tabPanel, setTabPanel ] = useState( {
		key: 0,
		initial: SETTING_GROUPS[ 0 ]?.id ?? 'general',
	} );
	const currentTab = useRef( tabPanel.initial );
	const showTab = ( id: string ) => {
		if ( id !== currentTab.current ) {
			currentTab.current = id;
			setTabPanel( ( p ) => ( { key: p.key + 1, initial: id } ) );
		}
	};

	// Warn before leaving with unsaved changes.
	useEffect( () => {
		if ( ! dirty ) {
			return undefined;
		}
		const onBeforeUnload = ( event: BeforeUnloadEvent ) => {
			event.preventDefault();
			event.returnValue = '';
		};
		window.addEventListener( 'beforeunload', onBeforeUnload );
		return () =>
			window.removeEventListener( 'beforeunload', onBeforeUnload );
	}, [ dirty ] );

	if ( loadError ) {
		const fix = getErrorFix( loadError );
		return (
			<Notice
				status="error"
				isDismissible={ false }
				actions={ [
					{
						label: __( 'Try again', 'bookingx-video-consultation' ),
						onClick: () => loadSettings(),
					},
				] }
			>
				<p>
					{ __(
						'The settings could not be loaded.',
						'bookingx-video-consultation'
					) }{ ' ' }
					{ getErrorMessage( loadError ) }
				</p>
				{ fix && <p>{ fix }</p> }
			</Notice>
		);
	}

	if ( ! settings ) {
		return (
			<p className="bkx-video-admin__loading">
				<Spinner />
				{ __( 'Loading settings…', 'bookingx-video-consultation' ) }
			</p>
		);
	}

	const fields = getSettingFields();
	const errorKeys = Object.keys( fieldErrors ).filter(
		( key ) => fieldErrors[ key ]
	);
	const groupsWithErrors = new Set(
		errorKeys.map( groupOf ).filter( Boolean )
	);
	// Errors in the order of the screen, then those not tied to a field.
	const orderedErrors = [
		...SETTING_GROUPS.flatMap( ( g ) =>
			g.keys.filter( ( k ) => errorKeys.includes( k ) )
		),
		...errorKeys.filter( ( k ) => ! groupOf( k ) ),
	];

	const onSubmit = async ( event: { preventDefault: () => void } ) => {
		event.preventDefault();
		const saved = ( await saveSettings() ) as unknown as boolean;
		if ( ! saved ) {
			// Show the first tab with a problem unless the current one has one.
			const errors = Object.keys(
				registry.select( store ).getFieldErrors()
			);
			const groups = errors.map( groupOf ).filter( Boolean );
			if ( groups.length && ! groups.includes( currentTab.current ) ) {
				showTab( groups[ 0 ] as string );
			}
		}
	};

	return (
		<form
			className="bkx-video-admin__form"
			noValidate
			onSubmit={ onSubmit }
		>
			<TabPanel
				key={ tabPanel.key }
				className="bkx-video-admin__tabs"
				initialTabName={ tabPanel.initial }
				onSelect={ ( name: string ) => {
					currentTab.current = name;
				} }
				tabs={ SETTING_GROUPS.map( ( group ) => ( {
					name: group.id,
					title: getGroupTitle( group.id ),
					className: groupsWithErrors.has( group.id )
						? 'bkx-video-admin__tab has-errors'
						: 'bkx-video-admin__tab',
				} ) ) }
			>
				{ ( tab ) => (
					<div className="bkx-video-admin__group">
						{ SETTING_GROUPS.find(
							( g ) => g.id === tab.name
						)?.keys.map( ( key ) => (
							<div
								key={ key }
								className="bkx-video-admin__setting"
								data-setting={ key }
							>
								<SettingField settingKey={ key } />
							</div>
						) ) }
					</div>
				) }
			</TabPanel>

			{ orderedErrors.length > 0 && (
				<div className="bkx-video-admin__error-summary">
					<p>
						<strong>
							{ __(
								'Please fix these settings:',
								'bookingx-video-consultation'
							) }
						</strong>
					</p>
					<ul>
						{ orderedErrors.map( ( key ) => {
							const group = groupOf( key );
							const def = fields[ key as SettingKey ];
							if ( ! group || ! def ) {
								return (
									<li key={ key }>{ fieldErrors[ key ] }</li>
								);
							}
							return (
								<li key={ key }>
									<Button
										variant="link"
										onClick={ () => {
											showTab( group );
											focusField( key );
										} }
									>
										{ `${ getGroupTitle( group ) } › ${
											def.label
										}` }
									</Button>
									{ `: ${ fieldErrors[ key ] }` }
								</li>
							);
						} ) }
					</ul>
				</div>
			) }

			<div className="bkx-video-admin__actions">
				<Button
					variant="primary"
					type="submit"
					isBusy={ saving }
					disabled={ ! dirty || saving }
				>
					{ __( 'Save settings', 'bookingx-video-consultation' ) }
				</Button>
				<Button
					variant="tertiary"
					disabled={ ! dirty || saving }
					onClick={ () => discardChanges() }
				>
					{ __( 'Discard changes', 'bookingx-video-consultation' ) }
				</Button>
			</div>
		</form>
	);
}
