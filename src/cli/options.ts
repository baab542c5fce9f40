/** Shared commander option parsers with errors that name the flag and the value. */
import { InvalidArgumentError } from 'commander';

/** Parses a non-negative integer flag value. */
export function intOption(flag: string): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0)
      throw new InvalidArgumentError(`${flag} must be a non-negative integer, got '${value}'`);
    return n;
  };
}

/** Parses a finite number flag value. */
export function numberOption(flag: string): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isFinite(n)) throw new InvalidArgumentError(`${flag} must be a number, got '${value}'`);
    return n;
  };
}
