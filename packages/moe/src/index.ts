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
// Seeing the routing.
export { type LayerRouting, type LayerStatsReport, layerStats } from './layer-stats.js';
// Language model.
export {
  MoECausalLM,
  type MoECausalLMConfig,
  type MoECausalLMOptions,
  type MoECausalLMOutput,
  type MoENaming,
} from './lm.js';
export { loadBalanceLoss, zLoss } from './losses.js';
export { MoE, type MoEOptions, type Router } from './moe-layer.js';
export { type ModalityRouting, MoTBlock, type MoTConfig, MoTModality, modalityRouting } from './mot.js';
// Mixture-of-Transformers language model.
export { MoTCausalLM, type MoTCausalLMConfig } from './mot-lm.js';
export { expertColor, type RoutingHeatmap, routingHeatmapSvg } from './plot.js';
export { tinyMoEModel } from './pretrained.js';
export { DeepSeekV3Router, type DeepSeekV3RouterOptions } from './routers/deepseek-v3.js';
export { ExpertChoiceRouter, type ExpertChoiceRouterOptions } from './routers/expert-choice.js';
export { assertFiniteLogits } from './routers/finite.js';
export { SwitchRouter, type SwitchRouterOptions } from './routers/switch.js';
export { Top2Router, type Top2RouterOptions } from './routers/top2.js';
export { TopKRouter, type TopKRouterOptions } from './routers/topk.js';
export { type RoutingStats, routingStats } from './stats.js';
