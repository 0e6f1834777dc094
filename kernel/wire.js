// The Jupyter wire protocol (messaging spec 5.3): parsing and signing multipart messages, and a
// sender that puts one message at a time on a socket.
//
// A message on the wire: [routing identities..., "<IDS|MSG>", HMAC, header, parent_header,
// metadata, content, buffers...]; the HMAC (hex) covers the four JSON frames and the buffers.
'use strict';

const crypto = require('crypto');

const PROTOCOL_VERSION = '5.3';
const DELIMITER = Buffer.from('<IDS|MSG>');

/** An HMAC signer for the connection file's key and scheme ("hmac-sha256"); '' signs nothing. */
function createSigner(key, scheme = 'hmac-sha256') {
  if (!key) return () => '';
  const match = /^hmac-(\w+)$/.exec(scheme);
  if (!match) throw new Error(`signature_scheme: expected "hmac-<digest>", got ${JSON.stringify(scheme)}`);
  const digest = match[1];
  return (frames) => {
    const hmac = crypto.createHmac(digest, key);
    for (const frame of frames) hmac.update(frame);
    return hmac.digest('hex');
  };
}

/** Parse the frames of one message; throws on a missing delimiter or a bad signature. */
function parseMessage(frames, sign) {
  const at = frames.findIndex((frame) => Buffer.compare(Buffer.from(frame), DELIMITER) === 0);
  if (at < 0) throw new Error('message without the <IDS|MSG> delimiter');
  const signature = Buffer.from(frames[at + 1]).toString();
  const parts = frames.slice(at + 2).map((frame) => Buffer.from(frame));
  if (parts.length < 4) throw new Error(`message with ${parts.length} of its 4 JSON frames`);
  const expected = sign(parts);
  const valid =
    signature.length === expected.length &&
    crypto.timingSafeEqual(Buffer.from(signature), Buffer.from(expected));
  if (!valid) throw new Error('message with an invalid signature');
  const [header, parent, metadata, content] = parts.slice(0, 4).map((part) => JSON.parse(part.toString('utf8')));
  return { identities: frames.slice(0, at), header, parent, metadata, content, buffers: parts.slice(4) };
}

/** A new header for a message of `type` in reply to (or caused by) `parent`. */
function newHeader(type, session, parent) {
  return {
    msg_id: crypto.randomUUID(),
    msg_type: type,
    session,
    username: (parent && parent.username) || 'kernel',
    date: new Date().toISOString(),
    version: PROTOCOL_VERSION,
  };
}

/** The frames of a message; `parent` is the request's header (or {}). */
function encodeMessage({ identities, type, session, parent, content, metadata = {} }, sign) {
  const header = newHeader(type, session, parent);
  const parts = [header, parent || {}, metadata, content].map((part) => Buffer.from(JSON.stringify(part), 'utf8'));
  return [...identities, DELIMITER, Buffer.from(sign(parts)), ...parts];
}

/**
 * Sends on a zeromq socket one message at a time, in the order they were handed over.
 *
 * zeromq.js allows one pending send per socket: a second `send` while the first is still being
 * written rejects with EBUSY ("Socket is busy writing"), which killed tslab's own server when a
 * status message followed a multi-megabyte display. Here every send waits for the previous one.
 * A failed send is reported through `onError` and never stops the messages after it.
 */
class SerialSender {
  constructor(socket, onError) {
    this.socket = socket;
    this.onError = onError;
    this.tail = Promise.resolve();
  }

  send(frames) {
    this.tail = this.tail.then(() => this.socket.send(frames)).catch((error) => this.onError(error));
    return this.tail;
  }

  /** Resolves when everything handed over so far has been sent. */
  drained() {
    return this.tail;
  }
}

module.exports = { PROTOCOL_VERSION, DELIMITER, createSigner, parseMessage, encodeMessage, SerialSender };
