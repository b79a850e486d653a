/**
 * The room's file sniffer (rooms/file-types.ts): types from content only, Office files by their
 * `[Content_Types].xml`, and safe download names.
 */
import { deflateRawSync } from 'node:zlib';

import { describe, expect, it } from 'vitest';

import { safeFileName, sniffFileType, zipEntry } from '../src/rooms/file-types';

/** A minimal ZIP (what Office writes: local headers, central directory, end record). */
function zip( entries: Record< string, string >, deflate = true ): Buffer {
	const locals: Buffer[] = [];
	const centrals: Buffer[] = [];
	let offset = 0;
	for ( const [ name, text ] of Object.entries( entries ) ) {
		const data = Buffer.from( text );
		const packed = deflate ? deflateRawSync( data ) : data;
		const nameBytes = Buffer.from( name );
		const local = Buffer.alloc( 30 );
		local.writeUInt32LE( 0x04034b50, 0 );
		local.writeUInt16LE( 20, 4 );
		local.writeUInt16LE( deflate ? 8 : 0, 8 );
		local.writeUInt32LE( packed.length, 18 );
		local.writeUInt32LE( data.length, 22 );
		local.writeUInt16LE( nameBytes.length, 26 );
		const central = Buffer.alloc( 46 );
		central.writeUInt32LE( 0x02014b50, 0 );
		central.writeUInt16LE( deflate ? 8 : 0, 10 );
		central.writeUInt32LE( packed.length, 20 );
		central.writeUInt32LE( data.length, 24 );
		central.writeUInt16LE( nameBytes.length, 28 );
		central.writeUInt32LE( offset, 42 );
		locals.push( local, nameBytes, packed );
		centrals.push( central, nameBytes );
		offset += 30 + nameBytes.length + packed.length;
	}
	const directory = Buffer.concat( centrals );
	const end = Buffer.alloc( 22 );
	end.writeUInt32LE( 0x06054b50, 0 );
	end.writeUInt16LE( Object.keys( entries ).length, 8 );
	end.writeUInt16LE( Object.keys( entries ).length, 10 );
	end.writeUInt32LE( directory.length, 12 );
	end.writeUInt32LE( offset, 16 );
	return Buffer.concat( [ ...locals, directory, end ] );
}

const contentTypes = ( main: string ) =>
	`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="${ main }"/></Types>`;

const PNG = Buffer.from( 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64' );

describe( 'sniffFileType', () => {
	it( 'knows PDF, PNG, JPEG, GIF and WebP by their magic bytes', () => {
		expect( sniffFileType( Buffer.from( '%PDF-1.7\n…' ) ) ).toBe( 'application/pdf' );
		expect( sniffFileType( PNG ) ).toBe( 'image/png' );
		expect( sniffFileType( Buffer.from( [ 0xff, 0xd8, 0xff, 0xe0, 0, 0x10 ] ) ) ).toBe( 'image/jpeg' );
		expect( sniffFileType( Buffer.from( 'GIF89a\x01\x00' ) ) ).toBe( 'image/gif' );
		expect( sniffFileType( Buffer.concat( [ Buffer.from( 'RIFF' ), Buffer.alloc( 4 ), Buffer.from( 'WEBPVP8 ' ) ] ) ) ).toBe( 'image/webp' );
	} );

	it( 'tells Word and Excel files by their [Content_Types].xml, deflated or stored', () => {
		const docx = zip( { '[Content_Types].xml': contentTypes( 'application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml' ), 'word/document.xml': '<w:document/>' } );
		expect( sniffFileType( docx ) ).toBe( 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' );
		const xlsx = zip( { 'xl/workbook.xml': '<workbook/>', '[Content_Types].xml': contentTypes( 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml' ) }, false );
		expect( sniffFileType( xlsx ) ).toBe( 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' );
		expect( zipEntry( xlsx, 'xl/workbook.xml', 100 )?.toString() ).toBe( '<workbook/>' );
	} );

	it( 'refuses macro-enabled Office files, other archives, executables and binary data', () => {
		expect( sniffFileType( zip( { '[Content_Types].xml': contentTypes( 'application/vnd.ms-word.document.macroEnabled.main+xml' ) } ) ) ).toBeNull();
		expect( sniffFileType( zip( { 'payload.exe': 'MZ' } ) ) ).toBeNull();
		expect( sniffFileType( Buffer.concat( [ Buffer.from( 'MZ\x90\x00\x03\x00\x00\x00' ), Buffer.alloc( 64 ) ] ), 'photo.png' ) ).toBeNull();
		expect( sniffFileType( Buffer.from( [ 0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0 ] ) ) ).toBeNull();
		expect( sniffFileType( Buffer.from( [ 0xc3, 0x28 ] ) ) ).toBeNull();
		expect( sniffFileType( Buffer.alloc( 0 ) ) ).toBeNull();
	} );

	it( 'reads UTF-8 text as plain text, and as CSV when it is laid out as one or named so', () => {
		expect( sniffFileType( Buffer.from( 'Grüße\nzweite Zeile\n' ) ) ).toBe( 'text/plain' );
		expect( sniffFileType( Buffer.from( 'name;dose\nIbuprofen;400\nParacetamol;500\n' ) ) ).toBe( 'text/csv' );
		expect( sniffFileType( Buffer.from( 'one value' ), 'values.CSV' ) ).toBe( 'text/csv' );
	} );
} );

describe( 'safeFileName', () => {
	it( 'keeps a fitting name, strips folders and control characters, and adds the detected extension', () => {
		expect( safeFileName( 'Röntgen 1.png', 'image/png' ) ).toBe( 'Röntgen 1.png' );
		expect( safeFileName( 'C:\\Users\\x\\scan.JPEG', 'image/jpeg' ) ).toBe( 'scan.JPEG' );
		expect( safeFileName( '../../etc/passwd', 'text/plain' ) ).toBe( 'passwd.txt' );
		expect( safeFileName( 'invoice\u202egpj.exe', 'application/pdf' ) ).toBe( 'invoicegpj.exe.pdf' );
		expect( safeFileName( '', 'image/gif' ) ).toBe( 'file.gif' );
		expect( Array.from( safeFileName( 'x'.repeat( 400 ), 'image/png' ) ) ).toHaveLength( 255 );
	} );
} );
