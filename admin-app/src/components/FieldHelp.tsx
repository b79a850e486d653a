import type { ReactNode } from 'react';

/**
 * The help line of a control. The field error goes first, inside the control's help element, so
 * the control is `aria-describedby` it in every version of @wordpress/components, and it is
 * announced (`role="alert"`) when it appears.
 * @param          error
 * @param {...any} lines
 */
export function fieldHelp(
	error: string | null,
	...lines: Array< ReactNode | null | undefined | false >
): ReactNode {
	const rest = lines.filter( Boolean );
	if ( ! error && rest.length === 0 ) {
		return undefined;
	}
	return (
		<>
			{ error && (
				<span className="bkx-video-admin__field-error" role="alert">
					{ error }
				</span>
			) }
			{ rest.map( ( line, i ) => (
				<span key={ i } className="bkx-video-admin__field-help">
					{ line }
				</span>
			) ) }
		</>
	);
}
