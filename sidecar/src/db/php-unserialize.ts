/**
 * A minimal reader for PHP's serialize() format, enough for BookingX's `order_meta_data` and
 * `booking_time` meta (arrays, strings, ints, floats, booleans, null). Objects are refused.
 * String lengths are in bytes, so it walks a Buffer.
 */
export type PhpValue = string | number | boolean | null | { [ key: string ]: PhpValue };

export function phpUnserialize( input: string ): PhpValue {
	const buf = Buffer.from( input, 'utf8' );
	let pos = 0;

	const readUntil = ( ch: string ): string => {
		const end = buf.indexOf( ch, pos );
		if ( end < 0 ) {
			throw new Error( `Malformed serialized data at ${ pos }` );
		}
		const out = buf.toString( 'utf8', pos, end );
		pos = end + 1;
		return out;
	};

	const expect = ( ch: string ) => {
		if ( String.fromCharCode( buf[ pos ] ?? 0 ) !== ch ) {
			throw new Error( `Expected "${ ch }" at ${ pos }` );
		}
		pos++;
	};

	const read = (): PhpValue => {
		const type = String.fromCharCode( buf[ pos ] ?? 0 );
		pos += 2; // type and ':' (or ';' for N)
		switch ( type ) {
			case 'N':
				return null;
			case 'b':
				return readUntil( ';' ) === '1';
			case 'i':
				return parseInt( readUntil( ';' ), 10 );
			case 'd':
				return parseFloat( readUntil( ';' ) );
			case 's': {
				const len = parseInt( readUntil( ':' ), 10 );
				expect( '"' );
				const s = buf.toString( 'utf8', pos, pos + len );
				pos += len;
				expect( '"' );
				expect( ';' );
				return s;
			}
			case 'a': {
				const count = parseInt( readUntil( ':' ), 10 );
				expect( '{' );
				const out: { [ key: string ]: PhpValue } = {};
				for ( let i = 0; i < count; i++ ) {
					const key = read();
					out[ String( key ) ] = read();
				}
				expect( '}' );
				return out;
			}
			default:
				throw new Error( `Unsupported serialized type "${ type }"` );
		}
	};

	return read();
}

/** Unserializes when the value looks serialized, otherwise returns it unchanged. */
export function maybeUnserialize( value: string ): PhpValue {
	if ( /^(a|s|i|d|b):/.test( value ) || value === 'N;' ) {
		try {
			return phpUnserialize( value );
		} catch {
			return value;
		}
	}
	return value;
}
