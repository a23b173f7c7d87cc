import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { map, type Observable } from 'rxjs';
import { htmlHeaders, Page, SeeOther, seeOther, type WebResult } from './web-result.js';

/** Turns a page handler's WebResult into the answer: an HTML page, or a 303 redirect. */
@Injectable()
export class WebResultInterceptor implements NestInterceptor<WebResult, string> {
  intercept(ctx: ExecutionContext, next: CallHandler<WebResult>): Observable<string> {
    const reply = ctx.switchToHttp().getResponse<FastifyReply>();
    return next.handle().pipe(
      map((result) => {
        if (result instanceof SeeOther) {
          seeOther(reply, result.location);
          return '';
        }
        if (result instanceof Page) {
          htmlHeaders(reply, result.status).headers(result.headers);
          return result.body.value;
        }
        throw new Error('a web page handler must return a Page or SeeOther');
      }),
    );
  }
}
