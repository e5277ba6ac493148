// Which Gateways are ours: those whose GatewayClass names our controller. With no GatewayClass in
// the input at all (offline `translate` on a loose folder) every Gateway is treated as ours.

import { type Condition, ConditionType, type IrItem } from '../ir/types.ts';
import type { IrIndex } from './refs.ts';
import { condition, ExtraReason } from './status.ts';

export type GatewayOwnership =
  /** Ours: build a snapshot. `implicit` when no GatewayClass was in the input. */
  | { owner: 'us'; implicit: boolean }
  /** Another controller's class: leave the Gateway and its status alone. */
  | { owner: 'other'; controllerName: string }
  /**
   * The named GatewayClass is missing while other classes exist: nobody has reconciled this
   * Gateway, which the Gateway API reports as `Accepted=Unknown` / `Programmed=Unknown`, reason
   * `Pending`. `False` would claim a controller rejected it.
   */
  | { owner: 'nobody'; conditions: Condition[] };

export interface OwnershipResult {
  byGateway: Map<IrItem<'Gateway'>, GatewayOwnership>;
  notes: string[];
}

export function noGatewayClassNote(controllerName: string): string {
  return `no GatewayClass in input: every Gateway treated as ours (${controllerName})`;
}

export function decideOwnership(index: IrIndex, controllerName: string): OwnershipResult {
  const classes = index.ofKind('GatewayClass');
  const implicit = classes.length === 0;
  const byGateway = new Map<IrItem<'Gateway'>, GatewayOwnership>();
  for (const gateway of index.ofKind('Gateway')) {
    byGateway.set(gateway, ownershipOf(gateway, classes, controllerName, implicit));
  }
  return { byGateway, notes: implicit ? [noGatewayClassNote(controllerName)] : [] };
}

function ownershipOf(
  gateway: IrItem<'Gateway'>,
  classes: Array<IrItem<'GatewayClass'>>,
  controllerName: string,
  implicit: boolean,
): GatewayOwnership {
  if (implicit) return { owner: 'us', implicit: true };
  // A Gateway whose spec failed validation still names its class only through the spec; without it
  // we cannot tell whose it is, and its own Accepted=False already says why.
  if (gateway.spec === null) return { owner: 'nobody', conditions: [] };
  const className = gateway.spec.gatewayClassName;
  // GatewayClass is cluster-scoped; its IR id carries whatever namespace the reader gave it.
  const gatewayClass = classes.find((c) => c.id.name === className);
  if (gatewayClass === undefined) {
    const message = `Gateway ${gateway.id.namespace}/${gateway.id.name}: spec.gatewayClassName: GatewayClass ${className} not found; no controller has reconciled this Gateway`;
    return {
      owner: 'nobody',
      conditions: [
        condition(ConditionType.Accepted, 'Unknown', ExtraReason.Pending, message, gateway.generation),
        condition(ConditionType.Programmed, 'Unknown', ExtraReason.Pending, message, gateway.generation),
      ],
    };
  }
  const classController = gatewayClass.spec?.controllerName;
  if (classController === controllerName) return { owner: 'us', implicit: false };
  return { owner: 'other', controllerName: classController ?? '' };
}
