import { useSyncExternalStore } from "react";

type ReadableSignal<T> = { get: () => T; subscribe: (listener: () => void) => () => void };

export function useSignal<T>(signal: ReadableSignal<T>): T {
  return useSyncExternalStore(signal.subscribe, signal.get);
}
