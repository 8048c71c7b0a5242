export { type Assignment, disposeAssignment } from './assignment.js';
// Dispatch and layers.
export {
  assignSlots,
  type DispatchKind,
  type DispatchOptions,
  dispatch,
  expertCapacity,
} from './dispatch/index.js';
export { MoEError } from './errors.js';
export { ExpertBank, stackExpertState, unstackExpertState } from './experts.js';
export { loadBalanceLoss, zLoss } from './losses.js';
export { MoE, type MoEOptions, type Router } from './moe-layer.js';
export { TopKRouter, type TopKRouterOptions } from './routers/topk.js';
export { type RoutingStats, routingStats } from './stats.js';
