package virtual

// atr is the card's Answer-to-Reset (ISO/IEC 7816-3 8.2; historical bytes per
// ISO/IEC 7816-4 8.1.1). It announces T=1 only and names no product, so that
// OpenSC finds it in none of its drivers' ATR tables and its generic PIV driver
// recognises the card by SELECTing the PIV application.
//
//	3B             TS: direct convention
//	8D             T0: TD1 follows; 13 historical bytes
//	81             TD1: TD2 follows; protocol T=1
//	31             TD2: TA3 and TB3 follow; protocol T=1
//	FE             TA3: IFSC 254 bytes
//	45             TB3: BWI 4, CWI 5
//	80             category indicator: COMPACT-TLV objects follow
//	73 C0 01 C0    card capabilities: selection by full and by partial DF name;
//	               one-byte data units; command chaining and extended Lc/Le
//	57 "scrVPIV"   card issuer's data
//	58             TCK: exclusive-or of T0 to the last historical byte
var atr = [...]byte{
	0x3B, 0x8D, 0x81, 0x31, 0xFE, 0x45,
	0x80, 0x73, 0xC0, 0x01, 0xC0, 0x57, 's', 'c', 'r', 'V', 'P', 'I', 'V',
	0x58,
}
