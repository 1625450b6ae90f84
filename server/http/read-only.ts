/** Refuses writes through the mirror unless the operator allows them: on a mirror, publishing invites dependency confusion. */
import type { RequestHandler } from 'express';
import { HttpError, sendError } from './http-error';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
// npm audit posts its queries; they change nothing.
const READ_POSTS = /^\/-\/npm\/v1\/security\/(audits|advisories)(\/|$)/;
const ACCOUNT_PATHS = /^\/-\/(user\/org\.couchdb\.user:|v1\/login(\/|$))/;

export interface WritePolicy {
  readonly allowPublish: boolean;
  readonly allowRegistration: boolean;
}

/** Middleware answering 403 to publish, unpublish, dist-tag, star, token and account writes unless allowed. */
export function readOnly(policy: WritePolicy): RequestHandler {
  return (req, res, next) => {
    if (READ_METHODS.has(req.method)) return next();
    const path = req.path;
    if (path.startsWith('/-/cordon/')) return next();
    if (req.method === 'POST' && READ_POSTS.test(path)) return next();
    if (ACCOUNT_PATHS.test(path)) {
      if (policy.allowRegistration || policy.allowPublish) return next();
      return sendError(
        res,
        new HttpError(
          'REGISTRATION_DISABLED',
          'This Cordon mirror has no accounts: npm adduser and npm login are disabled. Nothing here needs a login to install; to allow accounts set allowRegistration: true in cordon.yaml.',
        ),
      );
    }
    if (policy.allowPublish) return next();
    return sendError(
      res,
      new HttpError(
        'READ_ONLY',
        `This Cordon mirror is read-only: ${req.method} ${path} would publish, unpublish or change tags, which on a mirror would let anyone shadow an upstream package. Publish to your own registry instead, or set allowPublish: true in cordon.yaml.`,
      ),
    );
  };
}
