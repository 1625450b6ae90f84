/** Express 4 does not see a rejected Promise: an async handler's error is passed on to the error middleware here. */
import type { NextFunction, Request, RequestHandler, Response } from 'express';

/** Wraps an async route handler so that its rejection reaches `next` (and the error middleware). */
export function handle(fn: (req: Request, res: Response, next: NextFunction) => Promise<unknown>): RequestHandler {
  return (req, res, next) => {
    fn(req, res, next).catch(next);
  };
}
