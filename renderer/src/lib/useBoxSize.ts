import { useCallback, useLayoutEffect, useState } from 'react';

/**
 * The content-box size of an element, kept current as the window or layout
 * changes. Returns a callback ref, so an element that mounts later (after a
 * condition turns true) is measured too.
 */
export function useBoxSize<T extends HTMLElement>(): [(element: T | null) => void, { width: number; height: number }] {
  const [element, setElement] = useState<T | null>(null);
  const [size, setSize] = useState({ width: 0, height: 0 });
  useLayoutEffect(() => {
    if (!element) return;
    const observer = new ResizeObserver(([entry]) => {
      const width = Math.floor(entry!.contentRect.width);
      const height = Math.floor(entry!.contentRect.height);
      setSize((old) => (old.width === width && old.height === height ? old : { width, height }));
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, [element]);
  return [useCallback((e: T | null) => setElement(e), []), size];
}
