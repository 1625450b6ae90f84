/** `cordon reject pkg@1.2.3 --reason …`: a signed rejection moves the version to `rejected`. */
import { decideCommand } from './approve';

export function rejectCommand(argv: string[]): Promise<number> {
  return decideCommand('reject', argv);
}
