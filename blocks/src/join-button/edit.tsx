/**
 * Editor view: a sample "opens soon" state rendered from the same model as the front end,
 * and the three editor choices in the sidebar. Uses only components present in WordPress 6.1.
 */

/**
 * WordPress dependencies
 */
import { InspectorControls, useBlockProps } from '@wordpress/block-editor';
import type { BlockEditProps } from '@wordpress/blocks';
import { PanelBody, TextControl, ToggleControl } from '@wordpress/components';
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import type { ConsultationView } from '@bkx-video/contracts';
import { buildModel, defaultButtonLabel } from './join-state';
import type { JoinButtonOptions } from './join-state';

/**
 * A consultation opening in 9:59 (server clock = viewer clock), for the preview only.
 * @param now
 */
function sampleConsultation( now: number ): ConsultationView {
	const iso = ( offsetMinutes: number ) =>
		new Date( now + offsetMinutes * 60_000 ).toISOString();
	return {
		id: 1,
		booking_id: 1,
		status: 'scheduled',
		platform: 'zoom',
		scheduled_start: iso( 20 ),
		scheduled_end: iso( 50 ),
		duration_minutes: 30,
		join_opens_at: iso( 10 - 1 / 60 ),
		join_closes_at: iso( 80 ),
		state: 'too_early',
		provider_name: __( 'Dr. Jane Doe', 'bookingx-video-consultation' ),
		service_name: __(
			'Initial consultation',
			'bookingx-video-consultation'
		),
		viewer_role: 'customer',
		server_time: iso( 0 ),
	};
}

export default function Edit( {
	attributes,
	setAttributes,
}: BlockEditProps< JoinButtonOptions > ) {
	const { buttonLabel, showCountdown, showDetails } = attributes;
	const now = Date.now();
	const model = buildModel(
		{
			phase: 'ready',
			consultation: sampleConsultation( now ),
			skewMs: 0,
			joining: false,
		},
		now,
		{ buttonLabel, showCountdown, showDetails }
	);

	return (
		<>
			<InspectorControls>
				<PanelBody
					title={ __( 'Settings', 'bookingx-video-consultation' ) }
				>
					<TextControl
						__nextHasNoMarginBottom
						label={ __(
							'Button label',
							'bookingx-video-consultation'
						) }
						help={ __(
							'Leave empty to use the default label.',
							'bookingx-video-consultation'
						) }
						placeholder={ defaultButtonLabel() }
						value={ buttonLabel }
						onChange={ ( value: string ) =>
							setAttributes( { buttonLabel: value } )
						}
					/>
					<ToggleControl
						__nextHasNoMarginBottom
						label={ __(
							'Show countdown',
							'bookingx-video-consultation'
						) }
						checked={ showCountdown }
						onChange={ ( value: boolean ) =>
							setAttributes( { showCountdown: value } )
						}
					/>
					<ToggleControl
						__nextHasNoMarginBottom
						label={ __(
							'Show meeting details',
							'bookingx-video-consultation'
						) }
						checked={ showDetails }
						onChange={ ( value: boolean ) =>
							setAttributes( { showDetails: value } )
						}
					/>
				</PanelBody>
			</InspectorControls>
			<div { ...useBlockProps( { 'data-state': model.kind } ) }>
				{ model.details && (
					<dl className="bkx-video-join__details">
						{ model.details.map( ( d ) => [
							<dt key={ `${ d.term }-t` }>{ d.term }</dt>,
							<dd key={ `${ d.term }-d` }>{ d.description }</dd>,
						] ) }
					</dl>
				) }
				<p className="bkx-video-join__status">{ model.message }</p>
				{ model.countdown && (
					<p className="bkx-video-join__countdown">
						{ model.countdown }
					</p>
				) }
				{ model.button && (
					<button
						type="button"
						className="bkx-video-join__button wp-element-button"
						disabled
					>
						{ model.button.label }
					</button>
				) }
				<p className="bkx-video-join__preview-note">
					{ __(
						'Preview with sample data. Visitors see their own consultation.',
						'bookingx-video-consultation'
					) }
				</p>
			</div>
		</>
	);
}
