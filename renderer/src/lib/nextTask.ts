/** Runs `task` in a later task of the page's event loop: a message, not a timer (timers are clamped and throttled). */
export function postTask(task: () => void): void {
  const channel = new MessageChannel();
  channel.port1.onmessage = () => {
    channel.port1.close();
    task();
  };
  channel.port2.postMessage(null);
}

/** Resolves in a later task, so the page can paint and take input between pieces of a long piece of work. */
export const nextTask = (): Promise<void> => new Promise((resolve) => postTask(resolve));
