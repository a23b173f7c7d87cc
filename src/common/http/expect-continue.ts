import type { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * `Expect: 100-continue` (RFC 9110 §10.1.1): the client sends the request's headers, then waits
 * for `100 Continue` before it sends the body. Node answers `100 Continue` as soon as the headers
 * are in, before any guard has run, so a client without credentials (or without the right to
 * write there) started uploading a body that was only going to be refused.
 *
 * With a 'checkContinue' listener Node sends nothing itself. This one hands the request on like
 * any other and sends `100 Continue` when something first reads the body — which only a handler
 * does, after authentication and the access decisions, for every route whose body is a stream
 * (`@StreamedBody()`: uploads and every WebDAV method; DavPreparer decides the ACL, locks and
 * sizes before it reads). JSON and form bodies (at most BODY_LIMIT) are read by Fastify's parser,
 * which runs before the guards: for those, 100 goes out when parsing starts, as before.
 *
 * A request answered without its body being read gets its final status with no 100 before it;
 * Node then closes the connection after the answer (the client may be sending the body anyway,
 * RFC 9110 §10.1.1), so nothing it sends is read as a next request.
 */
export function sendContinueOnFirstRead(server: EventEmitter): void {
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    // Only this request's stream, and only until its first read: other requests pay nothing.
    const read = req._read;
    req._read = function (this: IncomingMessage, size: number) {
      req._read = read;
      // Too late once the answer has started: a 100 after it would corrupt the response.
      if (!res.headersSent && !res.writableEnded) res.writeContinue();
      read.call(this, size);
    };
    server.emit('request', req, res);
  });
}
