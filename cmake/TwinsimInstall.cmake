# placeholder until install rules land
