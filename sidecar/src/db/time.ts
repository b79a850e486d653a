/** DATETIME columns hold UTC; these convert between them and Date. */
export function toSqlDateTime( date: Date ): string {
	return date.toISOString().slice( 0, 19 ).replace( 'T', ' ' );
}

export function fromSqlDateTime( value: string | Date | null | undefined ): Date | null {
	if ( value === null || value === undefined || value === '' || String( value ).startsWith( '0000' ) ) {
		return null;
	}
	if ( value instanceof Date ) {
		return value;
	}
	return new Date( `${ value.replace( ' ', 'T' ) }Z` );
}
