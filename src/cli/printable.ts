/**
 * Text for a terminal: etcd keys, object names and error messages come from the data, and a key
 * holding `ESC ] 0 ; … BEL` or `ESC [ 2 J` would retitle or clear the reader's terminal. Anything
 * but letters, marks, digits, punctuation, symbols and spaces is shown as Go's %q escape.
 */
import { goQuote } from '../go-quote.ts';

const UNSAFE = /[^\p{L}\p{M}\p{N}\p{P}\p{S} ]/u;
const UNSAFE_EXCEPT_NEWLINE = /[^\p{L}\p{M}\p{N}\p{P}\p{S} \n]/gu;

/** One field (a key, a name): as is when printable, else quoted with Go's escapes. */
export function shown(field: string): string {
  return UNSAFE.test(field) ? goQuote(field) : field;
}

/** A message of one or more lines: each unprintable character but the newline escaped in place. */
export function printable(text: string): string {
  return text.replace(UNSAFE_EXCEPT_NEWLINE, (ch) => goQuote(ch).slice(1, -1));
}
