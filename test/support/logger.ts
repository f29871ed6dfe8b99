import { pino } from 'pino';

/** A real pino logger that writes nothing: code under test logs as usual, test output stays clean. */
export const silentLogger = pino({ level: 'silent' });
