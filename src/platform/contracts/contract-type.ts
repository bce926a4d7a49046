/**
 * Every command, query and (later) integration event a module publishes carries its
 * owning module and a stable wire name such as `catalog.GetProduct`. The wire name,
 * not the class name or Nest's random handler id, is what crosses a network, so
 * renaming a class never breaks a caller in another process.
 */
export type ContractKind = 'command' | 'query' | 'event';

export interface ContractInfo {
  readonly module: string;
  readonly name: string;
  readonly kind: ContractKind;
  /** `<module>.<name>`, unique across the system. */
  readonly wireName: string;
  /**
   * Whether delivering the message twice has the effect of delivering it once (queries
   * always; a command only when its contract says so). Only such messages are retried
   * by a remote transport after a lost answer, and the serializing test mode repeats
   * every idempotent command to prove the claim.
   */
  readonly idempotent: boolean;
}

export interface CommandOptions {
  /** See ContractInfo.idempotent: every command says whether it is, on purpose. */
  idempotent: boolean;
}

const CONTRACT_INFO = Symbol.for('shop.contract');
const byWireName = new Map<string, Function>();

const MODULE_NAME = /^[a-z][a-z0-9_]*$/;
const TYPE_NAME = /^[A-Z][A-Za-z0-9]*$/;

function contractDecorator(kind: ContractKind, module: string, name: string, idempotent: boolean) {
  if (!MODULE_NAME.test(module)) throw new Error(`contract module "${module}" must be lower_snake_case`);
  if (!TYPE_NAME.test(name)) throw new Error(`contract name "${name}" must be PascalCase`);
  const wireName = `${module}.${name}`;
  return (target: Function): void => {
    const taken = byWireName.get(wireName);
    if (taken && taken !== target) throw new Error(`wire name ${wireName} is declared twice`);
    byWireName.set(wireName, target);
    Object.defineProperty(target, CONTRACT_INFO, { value: { module, name, kind, wireName, idempotent } satisfies ContractInfo });
  };
}

/** Marks a `Command<T>` subclass as part of `module`'s published contract. */
export const ContractCommand = (module: string, name: string, options: CommandOptions) =>
  contractDecorator('command', module, name, options.idempotent);
/** Marks a `Query<T>` subclass as part of `module`'s published contract. Queries change nothing, so they are idempotent. */
export const ContractQuery = (module: string, name: string) => contractDecorator('query', module, name, true);

export function contractInfoOf(message: object): ContractInfo {
  const info = contractInfoOfType(message.constructor);
  if (!info) {
    throw new Error(`${message.constructor.name} is not a published contract type (missing @ContractCommand/@ContractQuery)`);
  }
  return info;
}

/** The class registered under a wire name, for transports that rebuild messages. */
export function contractTypeOf(wireName: string): Function | undefined {
  return byWireName.get(wireName);
}

/** The contract information of a contract class, or undefined for any other class. */
export function contractInfoOfType(type: Function): ContractInfo | undefined {
  return (type as unknown as Record<symbol, ContractInfo | undefined>)[CONTRACT_INFO];
}

/** Every contract type loaded in this process (each module's contract.ts registers its own on import). */
export function declaredContractTypes(): Function[] {
  return [...byWireName.values()];
}
