#pragma once
// Every layer, loss, optimizer and model of nn/, for backend translation units that want all of
// them (the gradient tests); see nn/layer.hpp for what the pieces are.
#include "twinsim/surrogates/nn/activation.hpp"
#include "twinsim/surrogates/nn/append_grid.hpp"
#include "twinsim/surrogates/nn/fourier_block.hpp"
#include "twinsim/surrogates/nn/layer.hpp"
#include "twinsim/surrogates/nn/linear.hpp"
#include "twinsim/surrogates/nn/loss.hpp"
#include "twinsim/surrogates/nn/models.hpp"
#include "twinsim/surrogates/nn/optimizer.hpp"
#include "twinsim/surrogates/nn/residual.hpp"
#include "twinsim/surrogates/nn/sequential.hpp"
#include "twinsim/surrogates/nn/spectral_conv2d.hpp"
#include "twinsim/surrogates/nn/trainer.hpp"
