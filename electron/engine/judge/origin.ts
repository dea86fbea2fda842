/**
 * The foreign web page's origin Paddock presents when it asks a server whether any page may
 * call it (CORS): a name under `.invalid`, which no real site can have. The fingerprint and
 * the server-kinds probe send it; the rules recognise it echoed back.
 */
export const FOREIGN_ORIGIN = 'https://paddock-origin-check.invalid';
