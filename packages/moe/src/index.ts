export { type Assignment, disposeAssignment } from './assignment.js';
export { MoEError } from './errors.js';
export { loadBalanceLoss, zLoss } from './losses.js';
export { TopKRouter, type TopKRouterOptions } from './routers/topk.js';
export { type RoutingStats, routingStats } from './stats.js';
