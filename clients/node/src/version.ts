/** Sent as the User-Agent; a test keeps it equal to package.json's version. */
export const CLIENT_VERSION = '0.1.0';
export const USER_AGENT = `edge-forwarder-client-node/${CLIENT_VERSION}`;
