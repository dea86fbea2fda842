/**
 * Environment variables saved in the registry, as the `registryEnvironment` PowerShell
 * template prints them: for the user (`HKCU:\Environment`) and the machine
 * (`HKLM:\SYSTEM\CurrentControlSet\Control\Session Manager\Environment`), every value whose
 * name starts with the asked prefix (`OLLAMA_`, compared without case, as Windows compares
 * variable names), with Scope (`user`/`machine`), Name, Value and Kind.
 *
 * Value is read with RegistryValueOptions DoNotExpandEnvironmentNames, so a REG_EXPAND_SZ
 * value comes back as saved (`%USERPROFILE%\models`), not expanded. Kind is .NET's
 * RegistryValueKind (Microsoft Learn): String 1 (REG_SZ), ExpandString 2 (REG_EXPAND_SZ),
 * Binary 3, DWord 4, MultiString 7, QWord 11, None -1, Unknown 0. The template prints it as
 * the name (`[string]`), 5.1 and 7 alike; the number is read as well. Windows builds a new
 * process's environment from REG_SZ and REG_EXPAND_SZ values; the machine's are read first
 * and the user's win, except PATH which is joined (not an OLLAMA_ variable). A variable set
 * only in the registry reaches programs started after Explorer took note of the change
 * (WM_SETTINGCHANGE "Environment") or after the next sign-in.
 */
import type { JsonLimits, ParseProblems } from './common';
import {
  DEFAULT_JSON_LIMITS,
  ProblemLog,
  entryText,
  enumField,
  lookup,
  forEachJsonObject,
  stringField,
} from './common';

export type RegistryScope = 'user' | 'machine';
export type RegistryValueType =
  | 'REG_SZ'
  | 'REG_EXPAND_SZ'
  | 'REG_BINARY'
  | 'REG_DWORD'
  | 'REG_MULTI_SZ'
  | 'REG_QWORD'
  | 'REG_NONE'
  | 'unknown';

const KIND_BY_NUMBER: Readonly<Record<number, RegistryValueType>> = {
  0: 'unknown',
  1: 'REG_SZ',
  2: 'REG_EXPAND_SZ',
  3: 'REG_BINARY',
  4: 'REG_DWORD',
  7: 'REG_MULTI_SZ',
  11: 'REG_QWORD',
};
const KIND_BY_NAME: Readonly<Record<string, RegistryValueType>> = {
  unknown: 'unknown',
  none: 'REG_NONE',
  string: 'REG_SZ',
  expandstring: 'REG_EXPAND_SZ',
  binary: 'REG_BINARY',
  dword: 'REG_DWORD',
  multistring: 'REG_MULTI_SZ',
  qword: 'REG_QWORD',
  reg_sz: 'REG_SZ',
  reg_expand_sz: 'REG_EXPAND_SZ',
  reg_binary: 'REG_BINARY',
  reg_dword: 'REG_DWORD',
  reg_multi_sz: 'REG_MULTI_SZ',
  reg_qword: 'REG_QWORD',
  reg_none: 'REG_NONE',
};

export interface RegistryEnvValue {
  scope: RegistryScope;
  name: string;
  /** As saved; a REG_EXPAND_SZ value still holds its %VARIABLES%. */
  value: string;
  type: RegistryValueType;
}

export interface RegistryEnvResult extends ParseProblems {
  values: RegistryEnvValue[];
}

const SCOPES: Readonly<Record<string, RegistryScope>> = { user: 'user', machine: 'machine' };

/** Parses the `registryEnvironment` template's JSON; never throws. */
export function parseRegistryEnvironment(
  text: string,
  limits: JsonLimits = DEFAULT_JSON_LIMITS,
): RegistryEnvResult {
  const log = new ProblemLog();
  const values: RegistryEnvValue[] = [];
  forEachJsonObject(text, log, limits, (entry, at) => {
    const scopeText = stringField(entry, 'Scope', 16);
    const scope = scopeText ? lookup(SCOPES, scopeText.toLowerCase()) : undefined;
    const name = stringField(entry, 'Name', 256);
    // Environment blocks are at most 32,767 characters; a value cannot be longer.
    const value = stringField(entry, 'Value', 32_767);
    // -1 (None) is not a non-negative number: read it by hand.
    const kind =
      entry.Kind === -1 ? 'REG_NONE' : enumField(entry, 'Kind', KIND_BY_NUMBER, KIND_BY_NAME);
    if (!scope || !name || value === undefined || kind === undefined) {
      log.add(at, entryText(entry), 'no Scope user/machine, no Name, or Value/Kind not readable');
      return;
    }
    values.push({ scope, name, value: value ?? '', type: kind ?? 'unknown' });
  });
  return { values, ...log.result() };
}
