import { describe, expect, it } from 'vitest';
import { DrawBudget } from '../../renderer/src/lib/drawBudget';

/** A clock each draw advances by its cost, and the later tasks the budget posts, run one at a time on demand. */
function harness(budgetMs: number) {
  let clock = 0;
  const tasks: (() => void)[] = [];
  const budget = new DrawBudget(budgetMs, () => clock, (task) => tasks.push(task));
  const drawn: number[] = [];
  const tile = (id: number, costMs: number) => () => {
    clock += costMs;
    drawn.push(id);
  };
  /** Runs the tasks posted so far (one turn of the event loop's queue); returns how many ran. */
  const nextTasks = () => {
    const now = tasks.splice(0);
    for (const task of now) task();
    return now.length;
  };
  return { budget, drawn, tile, nextTasks };
}

describe('canvas draws within a budget per task', () => {
  it('draws a single image at once, in the task that asked (a new picture shows in the frame of its commit)', () => {
    const { budget, drawn, tile } = harness(12);
    budget.draw(tile(1, 6));
    expect(drawn).toEqual([1]);
  });

  it('64 tiles of 1.5 ms mounting in one task: about a budget now, the rest in later tasks, in order', () => {
    const { budget, drawn, tile, nextTasks } = harness(12);
    for (let i = 0; i < 64; i++) budget.draw(tile(i, 1.5));
    // 8 draws reach 12 ms: that task stops there.
    expect(drawn.length).toBe(8);
    const perTask: number[] = [];
    while (drawn.length < 64) {
      const before = drawn.length;
      expect(nextTasks()).toBeGreaterThan(0);
      perTask.push(drawn.length - before);
    }
    expect(perTask.every((n) => n * 1.5 <= 12 + 1.5)).toBe(true);
    expect(drawn).toEqual(Array.from({ length: 64 }, (_, i) => i));
    expect(nextTasks()).toBeLessThanOrEqual(1);
    expect(nextTasks()).toBe(0);
  });

  it('a draw cancelled before its turn (the tile unmounted or got another image) is not made', () => {
    const { budget, drawn, tile, nextTasks } = harness(5);
    budget.draw(tile(0, 5));
    const cancel = budget.draw(tile(1, 1));
    budget.draw(tile(2, 1));
    cancel();
    while (nextTasks() > 0);
    expect(drawn).toEqual([0, 2]);
  });

  it('the budget is per task: after the task ends, a new single draw runs at once again', () => {
    const { budget, drawn, tile, nextTasks } = harness(12);
    budget.draw(tile(0, 20));
    while (nextTasks() > 0);
    budget.draw(tile(1, 1));
    expect(drawn).toEqual([0, 1]);
  });

  it('a draw asked while others wait goes after them, never before', () => {
    const { budget, drawn, tile, nextTasks } = harness(2);
    budget.draw(tile(0, 3));
    budget.draw(tile(1, 1));
    nextTasks();
    budget.draw(tile(2, 1));
    while (nextTasks() > 0);
    expect(drawn).toEqual([0, 1, 2]);
  });
});
