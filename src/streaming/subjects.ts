/**
 * NATS subjects of a run's deltas. A child run's workflow id is its parent's, `/`, and
 * `<node name>-<n>` (workflows/run-control.ts), so a run tree is a subtree of subjects: each
 * `/`-separated part of the id is one subject token, and a stream for a run listens to its own
 * subject and everything below it (`<subject>.>`). Parts are base64url with a `_` in front, so any
 * id (dots, spaces, `*`, `>`, empty parts) makes valid tokens.
 */

export function idToken(part: string): string {
  return `_${Buffer.from(part, 'utf8').toString('base64url')}`;
}

export function runSubject(prefix: string, namespace: string, workflowId: string): string {
  return [prefix, idToken(namespace), ...workflowId.split('/').map(idToken)].join('.');
}

/** The subjects one run's stream subscribes to: the run's own, and its descendants'. */
export function treeSubjects(prefix: string, namespace: string, workflowId: string): [string, string] {
  const subject = runSubject(prefix, namespace, workflowId);
  return [subject, `${subject}.>`];
}

/** A child's id part as run-control makes it: a node name (letters, digits, `_`, `.`, `-`), `-`, a counter. */
const CHILD_PART = /^[\w.-]+-\d+$/;

/**
 * Whether `workflowId` is `root` or a run below it. An unrelated run whose id only starts with
 * `root/` (a client may choose any id) is told apart by its parts: every part below the root must
 * look like a child's.
 */
export function inTree(root: string, workflowId: string): boolean {
  if (workflowId === root) return true;
  if (!workflowId.startsWith(`${root}/`)) return false;
  return workflowId
    .slice(root.length + 1)
    .split('/')
    .every((part) => CHILD_PART.test(part));
}
