// The residual experiment's price: networks × samples × width² × depth may not exceed the server's budget
// (app/settings.py max_residual_work, which the page reads as its limits' work.max).
// Each field's range is what its own bound and the other fields leave of the budget.

export function residualWork({ networks, samples, width, depth }) {
  return networks * samples * width * width * depth;
}

// {key: max} for depth, width, samples and networks: the largest value each may take with the others fixed.
// bounds: {key: own max}; budget: the largest work allowed.
export function residualMaxima(state, bounds, budget) {
  const others = (key) => residualWork({ ...state, [key]: 1 });
  return {
    depth: Math.min(bounds.depth, Math.floor(budget / others("depth"))),
    samples: Math.min(bounds.samples, Math.floor(budget / others("samples"))),
    networks: Math.min(bounds.networks, Math.floor(budget / others("networks"))),
    width: Math.min(bounds.width, Math.floor(Math.sqrt(budget / residualWork({ ...state, width: 1 })))),
  };
}
