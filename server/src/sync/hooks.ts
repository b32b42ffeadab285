import type { EntityHooks, HookContext, SyncTable } from '../registry/define-entity.ts';
import type { EntityModel } from '../registry/registry.ts';
import { ChangeFailure, HookError, ValidationError } from './errors.ts';
import { UserCodeNeedsDatabase } from './user-code-probe.ts';

/** R8: running an entity's hooks and turning what they throw into failures of the change. */

type HookName = keyof EntityHooks<SyncTable>;

/** Logs what a hook threw that was not a deliberate rejection; the device only sees a generic message. */
export type HookErrorLogger = (entity: string, hook: string, error: unknown) => void;

export const consoleHookLogger: HookErrorLogger = (entity, hook, error) => {
  console.error(`[sync] ${entity}.${hook} hook failed:`, error);
};

/** Runs one hook; rejections become VALIDATION or HOOK_ERROR failures of the change. */
export async function runHook(
  model: EntityModel,
  name: Exclude<HookName, 'validate'>,
  ctx: HookContext<SyncTable>,
  log: HookErrorLogger,
): Promise<void> {
  const hook = model.definition.hooks?.[name];
  if (!hook) return;
  try {
    await hook(ctx);
  } catch (error) {
    throw toFailure(model, name, error, log);
  }
}

/** Runs the validate hook; any message it returns rejects the change with VALIDATION. */
export async function runValidate(
  model: EntityModel,
  ctx: HookContext<SyncTable>,
  log: HookErrorLogger,
): Promise<void> {
  const validate = model.definition.hooks?.validate;
  if (!validate) return;
  let result: string[] | string | undefined;
  try {
    result = await validate(ctx);
  } catch (error) {
    throw toFailure(model, 'validate', error, log);
  }
  const messages = typeof result === 'string' ? [result] : (result ?? []);
  if (messages.length > 0) throw new ChangeFailure('VALIDATION', messages.join('; '));
}

function toFailure(model: EntityModel, hook: string, error: unknown, log: HookErrorLogger): ChangeFailure {
  // Not the hook's failure: the batched upload applies this change again on its own.
  if (error instanceof UserCodeNeedsDatabase) throw error;
  if (error instanceof ChangeFailure) return error;
  if (error instanceof ValidationError) return new ChangeFailure('VALIDATION', error.message);
  if (error instanceof HookError) return new ChangeFailure('HOOK_ERROR', error.message);
  log(model.name, hook, error);
  return new ChangeFailure('HOOK_ERROR', `The ${hook} hook of ${model.name} failed`);
}
