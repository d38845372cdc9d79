/**
 * A dollar figure as the admin API shows it: a total of many answers' costs summed in floating
 * point carries its noise (`1.0999999999999999`, a remaining `3.9000000000000004`), far below
 * twelve significant digits, which drop it and keep more than anyone reads (a billionth of a
 * dollar on a $100 total, a nano-dollar answer's own cost whole). For reading only: what is
 * summed and enforced stays as counted.
 */
export const roundUsd = (usd: number): number => Number(usd.toPrecision(12));
