#pragma once

// older name of Particle.h
#include "Particle.h"
