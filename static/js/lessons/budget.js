// The residual experiment's price: networks × samples × width² × depth may not exceed the server's budget
// (app/settings.py max_residual_work; tests/app/routers/experiments/test_lessons.py keeps the two equal).
// Each field's range is what its own bound and the other fields leave of the budget.

export const MAX_RESIDUAL_WORK = 2 ** 27;

export function residualWork({ networks, samples, width, depth }) {
  return networks * samples * width * width * depth;
}

// {key: max} for depth, width, samples and networks: the largest value each may take with the others fixed.
// bounds: {key: own max}.
export function residualMaxima(state, bounds, budget = MAX_RESIDUAL_WORK) {
  const others = (key) => residualWork({ ...state, [key]: 1 });
  return {
    depth: Math.min(bounds.depth, Math.floor(budget / others("depth"))),
    samples: Math.min(bounds.samples, Math.floor(budget / others("samples"))),
    networks: Math.min(bounds.networks, Math.floor(budget / others("networks"))),
    width: Math.min(bounds.width, Math.floor(Math.sqrt(budget / residualWork({ ...state, width: 1 })))),
  };
}
