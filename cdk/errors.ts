// Configuration errors raised while building the CDK app: a bad prop or context value. Each
// message names the setting, shows the value it got and says how to fix it.

import { FleetplaneError } from '../shared/errors.ts';

export class StackConfigError extends FleetplaneError {}
