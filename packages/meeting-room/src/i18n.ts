/**
 * Translation seam. The UI receives `__` from {@link createTranslate} and always calls it with a
 * literal string and the plugin's text domain, as WordPress code does, so `wp i18n make-pot`
 * extracts the strings from this package's sources. The text then goes through the `t` the block
 * passes (WordPress's `__` bound to the text domain); there is no module-level translator.
 */

/** `__( text, domain )` as the UI calls it; the domain is only there for string extraction. */
export type Translate = ( text: string, domain?: string ) => string;

/**
 * Wraps the block's one-argument translator.
 * @param t Translator of one string; identity when absent.
 */
export function createTranslate( t?: ( text: string ) => string ): Translate {
	return t ? ( text ) => t( text ) : ( text ) => text;
}

/**
 * `%s`, `%d` and `%1$s` placeholders, as WordPress's `sprintf` handles them in translations.
 * @param template Translated text.
 * @param args     Values, in order.
 */
export function sprintf(
	template: string,
	...args: Array< string | number >
): string {
	let next = 0;
	return template.replace(
		/%(?:(\d+)\$)?([sd%])/g,
		( whole, position: string | undefined, kind: string ) => {
			if ( kind === '%' ) {
				return '%';
			}
			const value = position
				? args[ Number( position ) - 1 ]
				: args[ next++ ];
			if ( value === undefined ) {
				return whole;
			}
			return kind === 'd'
				? String( Math.trunc( Number( value ) ) )
				: String( value );
		}
	);
}
